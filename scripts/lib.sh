# shellcheck shell=bash
# Shared helpers for the project's shell scripts: progress and failure.
# Sourced, not run.

_t0=${_t0:-$(date +%s)}

# step MSG: say what starts now, with the time since the script began.
step() { printf '[%4ss] %s\n' "$(( $(date +%s) - _t0 ))" "$*"; }
ok() { printf '[%4ss] done: %s\n' "$(( $(date +%s) - _t0 ))" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
