#!/bin/bash
# Run a command and note how long it took.
#
#   timed.sh NAME COMMAND [ARG]...
#
# Appends "END NAME SECONDS EXIT-STATUS" to build/times.txt (END in
# seconds since the epoch) and exits with the command's status.
# tests/check.sh prints the notes of the steps that ran before it in the
# same make, so that a slow step shows in the tail of a CI log.
set -u
[ $# -ge 2 ] || { echo "usage: $0 NAME COMMAND [ARG]..." >&2; exit 2; }
name=$1
shift
top=$(realpath "$(dirname "$0")/..")
t0=$(date +%s)
"$@"
rc=$?
t1=$(date +%s)
mkdir -p "$top/build"
echo "$t1 $name $((t1 - t0)) $rc" >> "$top/build/times.txt"
exit $rc
