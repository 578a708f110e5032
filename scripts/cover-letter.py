#!/usr/bin/env python3
"""The series' cover letter lives in patches/0000-cover-letter.patch and,
while the series is edited, as the description of build/linux's branch.

  cover-letter.py read FILE    print the description held in a cover letter
  cover-letter.py fix FILE DATE
                               give a cover letter written by format-patch
                               the date DATE (that of the last patch), so
                               the same series exports byte for byte
"""
import re
import sys


def read(path):
    text = open(path).read()
    head, _, body = text.partition("\n\n")
    subject = re.search(r"^Subject: (?:\[[^]]*\] )?(.*(?:\n .*)*)", head, re.M)
    if not subject:
        sys.exit("%s: no Subject" % path)
    subject = re.sub(r"\n ", " ", subject.group(1))
    # The text ends where format-patch's shortlog ("Name (N):") begins.
    m = re.search(r"^\S.* \(\d+\):\n", body, re.M)
    body = body[:m.start()] if m else body
    print(subject + "\n\n" + body.strip())


def fix(path, date):
    text = open(path).read()
    text = re.sub(r"^Date: .*$", "Date: " + date, text, count=1, flags=re.M)
    open(path, "w").write(text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "fix":
        fix(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
