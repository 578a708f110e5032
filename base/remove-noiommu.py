#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Remove VFIO no-IOMMU mode from a Linux 6.12 source tree.

The series in patches/ is a new implementation of no-IOMMU mode, so the tree
it applies to must not have one.  This script takes the feature out of
Debian's linux-source-6.12 by structure, never by line number:

  * functions, objects, struct members, enum items, #ifdef blocks, case
    labels and Kconfig entries are found by their names;
  * every 'if' whose condition mentions the feature is folded with the
    feature assumed absent: a condition that becomes false drops the branch
    (keeping an 'else'), a term that becomes true is dropped from its '&&'
    chain, a term that becomes false from its '||' chain;
  * comments that only explain a removed branch go with it.

Each edit says what it looked for; one that finds nothing stops the run with
the name of what is missing, so a newer 6.12.y that moved code fails loudly
instead of leaving half a feature behind.  After editing, --check scans the
result for any trace left.

usage: remove-noiommu.py [--check-only] TREE
"""

import re
import sys
import textwrap
from pathlib import Path

# What the feature's names evaluate to once it is gone.  NOTHING is the value
# of an enum constant or uapi type that no longer exists: nothing equals it.
NOTHING = object()
VALUES = {
    "vfio_noiommu": False,
    "vfio_device_is_noiommu": False,
    "CONFIG_VFIO_NOIOMMU": False,
    "no_iommu_mode": False,
    "noiommu": False,
    "VFIO_NO_IOMMU": NOTHING,
    "VFIO_NOIOMMU_IOMMU": NOTHING,
    # Always true without the feature: it only ever refused mixing no-IOMMU
    # containers with other backends.
    "vfio_iommu_driver_allowed": True,
}
FEATURE_WORD = re.compile(r"no[-_ ]?iommu", re.IGNORECASE)
# What --check looks for: the names, not the words "no iommu" (type1 speaks
# of "no iommu translations", which has nothing to do with the feature).
TRACE = re.compile(r"no[-_]?iommu", re.IGNORECASE)
# Checked by --check: none of these may mention the feature afterwards.
CHECKED = ["drivers/vfio", "drivers/iommu/iommufd", "include/linux/vfio.h",
           "include/uapi/linux/vfio.h", "include/linux/iommufd.h",
           "Documentation/driver-api/vfio.rst"]


class Missing(Exception):
    pass


# --- lexical helpers ------------------------------------------------------

def code_mask(text):
    """Return text with comments and string/char literals blanked out.

    Offsets are preserved, so searches on the mask give offsets in text.
    """
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


def match_close(mask, i):
    """Offset just past the bracket that closes the one at mask[i]."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = []
    for j in range(i, len(mask)):
        c = mask[j]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if not stack or stack.pop() != c:
                raise ValueError("unbalanced bracket at %d" % j)
            if not stack:
                return j + 1
    raise ValueError("unclosed bracket at %d" % i)


def line_start(text, i):
    return text.rfind("\n", 0, i) + 1


def line_end(text, i):
    """Offset just past the newline ending the line that holds i."""
    j = text.find("\n", i)
    return len(text) if j < 0 else j + 1


def skip_ws(mask, i):
    while i < len(mask) and mask[i].isspace():
        i += 1
    return i


def mentions(s):
    return any(re.search(r"\b%s\b" % n, s) for n in VALUES)


# --- expressions ----------------------------------------------------------

TOKEN = re.compile(r"\s*(&&|\|\||==|!=|!(?!=)|\(|\)|[^\s()!&|=]+|[&|=]|.)",
                   re.S)


class Node:
    """A parsed condition: op is '&&', '||', '==', '!=', '!', '()' or None."""

    def __init__(self, op, kids, start, end):
        self.op, self.kids, self.start, self.end = op, kids, start, end


def parse_cond(s):
    toks = [(m.group(1), m.start(1), m.end(1))
            for m in TOKEN.finditer(s) if m.group(1).strip()]
    pos = [0]

    def peek():
        return toks[pos[0]][0] if pos[0] < len(toks) else None

    def take():
        t = toks[pos[0]]
        pos[0] += 1
        return t

    def chain(sub, ops):
        left = sub()
        kids = [left]
        op = None
        while peek() in ops and (op is None or peek() == op):
            op = take()[0]
            kids.append(sub())
        if len(kids) == 1:
            return left
        return Node(op, kids, kids[0].start, kids[-1].end)

    def orx():
        return chain(andx, ("||",))

    def andx():
        return chain(cmpx, ("&&",))

    def cmpx():
        return chain(unary, ("==", "!="))

    def unary():
        t = peek()
        if t == "!":
            _, st, _ = take()
            k = unary()
            return Node("!", [k], st, k.end)
        return primary()

    def primary():
        # An atom runs to the next top-level operator; a leading '(' that
        # closes before the next operator is a parenthesized expression.
        t, st, en = toks[pos[0]]
        if t == "(":
            save = pos[0]
            take()
            inner = orx()
            if peek() == ")":
                _, _, en = take()
                if peek() in (None, "&&", "||", "==", "!=", ")"):
                    return Node("()", [inner], st, en)
            pos[0] = save
        depth, end = 0, en
        while pos[0] < len(toks):
            t, _, en = toks[pos[0]]
            if depth == 0 and t in ("&&", "||", "==", "!=", ")"):
                break
            if t == "(":
                depth += 1
            elif t == ")":
                depth -= 1
            end = en
            take()
        return Node(None, [], st, end)

    node = orx()
    if pos[0] != len(toks):
        raise ValueError("cannot parse condition: %r" % s)
    return node


def atom_value(text):
    text = text.strip()
    m = re.fullmatch(r"IS_ENABLED\((\w+)\)|READ_ONCE\((.*)\)", text, re.S)
    if m:
        return atom_value(m.group(1) or m.group(2))
    m = re.fullmatch(r"(?:[\w.]+(?:->|\.))*(\w+)(\s*\(.*\))?", text, re.S)
    if m and m.group(1) in VALUES:
        return VALUES[m.group(1)]
    if mentions(text):
        raise ValueError("no rule for the value of %r" % text)
    return None


def evaluate(node, s):
    """Return (value, text): value True/False/NOTHING, or None with the
    remaining condition text when it still depends on other things."""
    if node.op is None:
        v = atom_value(s[node.start:node.end])
        return v, s[node.start:node.end]
    if node.op == "()":
        v, t = evaluate(node.kids[0], s)
        return v, "(" + t + ")" if v is None else t
    if node.op == "!":
        v, t = evaluate(node.kids[0], s)
        if v is None:
            return None, "!" + t
        return (not v), None
    if node.op in ("==", "!="):
        (a, ta), (b, tb) = (evaluate(k, s) for k in node.kids)
        if a is NOTHING or b is NOTHING:
            return node.op == "!=", None
        if a is not None and b is not None:
            return (a == b) == (node.op == "=="), None
        if a is None and b is None:
            return None, s[node.start:node.end]
        raise ValueError("cannot fold %r" % s[node.start:node.end])
    # '&&' or '||': a term equal to the identity is dropped, the absorbing
    # value decides the whole chain.
    absorb = node.op == "||"
    keep = []
    for k in node.kids:
        v, _ = evaluate(k, s)
        if v is None:
            keep.append(k)
        elif v == absorb:
            return absorb, None
    if not keep:
        return (not absorb), None
    if len(keep) == len(node.kids):
        return None, s[node.start:node.end]
    # Rebuild from the original text so line breaks and indentation stay:
    # each kept term but the first keeps the separator in front of it.
    parts = []
    for k in keep:
        idx = node.kids.index(k)
        if parts:
            parts.append(s[node.kids[idx - 1].end:k.start])
        parts.append(evaluate(k, s)[1])
    text = "".join(parts)
    if len(keep) == 1 and keep[0].op == "()":
        text = text[1:-1]
    return None, text


# --- the source file being edited ------------------------------------------

class Source:
    def __init__(self, tree, rel):
        self.rel = rel
        self.path = tree / rel
        self.text = self.path.read_text()
        self.changed = False

    def save(self):
        if self.changed:
            self.path.write_text(self.text)

    def missing(self, what):
        raise Missing("%s: could not find %s" % (self.rel, what))

    def cut(self, start, end, repl=""):
        self.text = self.text[:start] + repl + self.text[end:]
        self.changed = True

    def mask(self):
        return code_mask(self.text)

    def comment_before(self, start):
        """Start of a comment block that ends on the line before start."""
        t = self.text
        prev_end = start
        prev_start = line_start(t, prev_end - 1) if prev_end else 0
        if not t[prev_start:prev_end].strip().endswith("*/"):
            return start
        c = t.rfind("/*", 0, prev_end)
        c = line_start(t, c)
        if t[c:prev_end].lstrip().startswith("/*"):
            return c
        return start

    def remove_lines(self, start, end, comment="feature"):
        """Remove whole lines [start, end), with a comment block just above
        when it speaks of the feature (comment='feature') or always
        (comment='any'), and one surplus blank line."""
        start = line_start(self.text, start)
        end = line_end(self.text, end - 1)
        c = self.comment_before(start)
        if c != start and (comment == "any" or
                           FEATURE_WORD.search(self.text[c:start])):
            start = c
        t = self.text
        before_blank = start >= 2 and t[start - 2:start] == "\n\n"
        after_blank = t[end:end + 1] == "\n"
        prev = t[line_start(t, start - 1):start] if start else "\n"
        if after_blank and (before_blank or t[end + 1:end + 2] in "}\n" or
                            prev.endswith("{\n") or prev.startswith("#")):
            end += 1
        elif before_blank and t[end:end + 1] in ("}", "#"):
            start -= 1
        self.cut(start, end)

    # -- top-level definitions --

    def definition(self, name):
        """Span of the top-level function, prototype or object named name,
        with its EXPORT_SYMBOL line, or None."""
        mask = self.mask()
        for m in re.finditer(r"\b%s\b" % re.escape(name), mask):
            ls = line_start(mask, m.start())
            # Top level: the declaration starts in column 0 (possibly on
            # the line above, for 'static inline int\nname(...)').
            head = ls
            if mask[ls].isspace():
                continue
            if not re.match(r"[A-Za-z_]", mask[ls]):
                continue
            prev = line_start(mask, ls - 1) if ls else 0
            if ls and re.match(r"[A-Za-z_][^;{}()]*$", mask[prev:ls - 1]) \
                    and not mask[prev:ls - 1].startswith("#"):
                head = prev
            j = skip_ws(mask, m.end())
            if mask[j] == "(":
                j = skip_ws(mask, match_close(mask, j))
            elif mask[j] == "=":
                j = mask.index("{", j)
            else:
                continue
            if mask[j] == ";":
                end = j + 1
            elif mask[j] == "{":
                end = match_close(mask, j)
                if mask[end:end + 1] == ";":
                    end += 1
            else:
                continue
            exp = re.match(r"\s*\nEXPORT_SYMBOL\w*\(\s*%s\b[^;]*;" %
                           re.escape(name), self.text[end:])
            if exp:
                end += exp.end()
            return head, end
        return None

    def remove_definition(self, name, count=1):
        for _ in range(count):
            span = self.definition(name)
            if not span:
                self.missing("the definition of %s" % name)
            self.remove_lines(*span, comment="any")

    def rename(self, old, new):
        n = len(re.findall(r"\b%s\b" % old, self.text))
        if not n:
            self.missing(old)
        self.text = re.sub(r"\b%s\b" % old, new, self.text)
        self.changed = True

    # -- pieces inside definitions --

    def remove_member(self, name):
        """A struct member or enum item declared on a line of its own."""
        mask = self.mask()
        m = re.search(r"^[ \t]+[\w \t]*\b%s\b\s*[,;]" % name, mask, re.M)
        if not m:
            self.missing("the member %s" % name)
        self.remove_lines(m.start(), m.end(), comment="any")

    def remove_ifdef(self, symbol):
        """An #ifdef/#if IS_ENABLED block on symbol, with its #else part."""
        m = re.search(r"^#\s*if(def\s+%s|\s+IS_ENABLED\(%s\))\s*$"
                      % (symbol, symbol), self.text, re.M)
        if not m:
            self.missing("#ifdef %s" % symbol)
        depth, pos = 0, m.start()
        for d in re.finditer(r"^#\s*(if|endif)", self.text[pos:], re.M):
            depth += 1 if d.group(1) == "if" else -1
            if depth == 0:
                end = line_end(self.text, pos + d.start())
                self.remove_lines(m.start(), end, comment="feature")
                return
        self.missing("the #endif of %s" % symbol)

    def remove_statements(self, pattern, what):
        """Statements (declarations, assignments) matching pattern."""
        mask = self.mask()
        found = list(re.finditer(r"^[ \t]+%s[^;]*;" % pattern, mask, re.M))
        if not found:
            self.missing(what)
        for m in reversed(found):
            self.remove_lines(m.start(), m.end())

    def remove_cases(self, label):
        mask = self.mask()
        m = re.search(r"^[ \t]*case\s+%s\s*:" % label, mask, re.M)
        if not m:
            self.missing("case %s" % label)
        nxt = re.compile(r"^[ \t]*(case\b|default\s*:|})", re.M)
        body = nxt.search(mask, line_end(mask, m.end()))
        end = body.start()
        if not mask[line_end(mask, m.end()):end].strip():
            end = line_end(mask, m.end())      # a label falling through
        while self.text[end - 2:end] == "\n\n":
            end -= 1
        self.remove_lines(m.start(), end)

    def fold_ternaries(self):
        """cond ? "a" : "b" where cond is decided by the feature's absence."""
        pat = re.compile(r'([\w>.-]+\s*[!=]=\s*\w+)\s*\?\s*("[^"]*")\s*:'
                         r'\s*("[^"]*")')
        for m in reversed(list(pat.finditer(self.text))):
            if not mentions(m.group(1)):
                continue
            v, _ = evaluate(parse_cond(m.group(1)), m.group(1))
            if v is None:
                raise ValueError("%s: cannot fold %r" % (self.rel, m.group(0)))
            self.cut(m.start(), m.end(), m.group(2) if v else m.group(3))
        # A "%s" left to print an empty string goes with its argument.
        self.text = re.sub(r'"%s([^"]*)",\s*"",(\s*)', r'"\1",\2', self.text)

    def fold_returns(self):
        mask = self.mask()
        for m in reversed(list(re.finditer(r"\breturn\b([^;]+);", mask))):
            expr = self.text[m.start(1):m.end(1)]
            if not mentions(expr):
                continue
            v, _ = evaluate(parse_cond(expr), expr)
            if v is None:
                raise ValueError("%s: cannot fold return%s" % (self.rel, expr))
            self.cut(m.start(1), m.end(1), " %d" % int(v))

    def fold_ifs(self):
        """Fold every if statement whose condition names the feature."""
        while True:
            mask = self.mask()
            for m in re.finditer(r"\bif\s*\(", mask):
                c0 = m.end() - 1
                c1 = match_close(mask, c0)
                cond = self.text[c0 + 1:c1 - 1]
                if mentions(cond) and not mask[line_start(mask, m.start()):
                                                m.start()].strip(" \t#"):
                    self.fold_if(mask, m.start(), c0, c1, cond)
                    break
            else:
                return

    def statement_end(self, mask, i):
        i = skip_ws(mask, i)
        if mask[i] == "{":
            return match_close(mask, i)
        if re.match(r"if\b", mask[i:]):
            c1 = match_close(mask, mask.index("(", i))
            end = self.statement_end(mask, c1)
            j = skip_ws(mask, end)
            if re.match(r"else\b", mask[j:]):
                end = self.statement_end(mask, j + 4)
            return end
        depth = 0
        for j in range(i, len(mask)):
            if mask[j] in "([{":
                depth += 1
            elif mask[j] in ")]}":
                depth -= 1
            elif mask[j] == ";" and depth == 0:
                return j + 1
        raise ValueError("unterminated statement")

    def unwrap(self, body, indent):
        """The lines of a branch, re-indented to stand where the if stood."""
        body = body.strip()
        if body.startswith("{"):
            body = body[1:-1].strip("\n")
            lines = textwrap.dedent(body).split("\n")
        else:
            lines = [body.strip()]
        return "".join((indent + ln if ln.strip() else "") + "\n"
                       for ln in lines)

    def fold_if(self, mask, start, c0, c1, cond):
        v, text = evaluate(parse_cond(cond), cond)
        then_end = self.statement_end(mask, c1)
        j = skip_ws(mask, then_end)
        else_end = None
        if re.match(r"else\b", mask[j:]):
            else_at = j + 4
            else_end = self.statement_end(mask, else_at)
        ls = line_start(self.text, start)
        indent = self.text[ls:start]
        if v is None:
            self.cut(c0 + 1, c1 - 1, text)
        elif v:
            new = self.unwrap(self.text[c1:then_end], indent)
            self.cut(ls, line_end(self.text, (else_end or then_end) - 1), new)
        elif else_end is None:
            self.remove_lines(start, then_end, comment="any")
        else:
            s = skip_ws(mask, else_at)
            if re.match(r"if\b", mask[s:]):
                # 'else if': the inner if takes the place of the outer one.
                self.cut(start, s)
            else:
                new = self.unwrap(self.text[else_at:else_end], indent)
                self.cut(ls, line_end(self.text, else_end - 1), new)

    def remove_unused_labels(self):
        """A label left without a goto after an unconditional return is dead
        code to the end of its function: remove it."""
        mask = self.mask()
        for m in reversed(list(re.finditer(r"^(\w+):\s*$", mask, re.M))):
            if re.search(r"\bgoto\s+%s\s*;" % m.group(1), mask):
                continue
            before = mask[:m.start()].rstrip()
            if not re.search(r"\breturn\b[^;]*;$", before):
                raise ValueError("%s: unused label %s is reachable"
                                 % (self.rel, m.group(1)))
            end = mask.index("\n}", m.start()) + 1
            self.cut(len(before) + 1, end)
            mask = self.mask()

    # -- text (Kconfig help, reStructuredText) --

    def remove_kconfig_entry(self, symbol):
        m = re.search(r"^(menu)?config %s\n" % symbol, self.text, re.M)
        if not m:
            self.missing("config %s" % symbol)
        nxt = re.compile(r"^(config|menuconfig|endif|if|source|menu|endmenu|"
                         r"comment|choice|endchoice)\b", re.M)
        e = nxt.search(self.text, m.end())
        end = e.start() if e else len(self.text)
        self.cut(m.start(), end)

    def remove_sentences(self):
        """Drop the sentences naming the feature from prose (Kconfig help,
        reStructuredText).  They are cut out where they stand, so the rest
        of the paragraph keeps its lines."""
        flat = re.sub(r"\s+", " ", self.text)
        sents = [t for t in re.split(r"(?<=[.:])\s+|\n\s*\n", flat)
                 if FEATURE_WORD.search(t) and
                 not re.match(r"(menu)?config |bool |depends |#", t)]
        if not sents:
            self.missing("a sentence about the feature")
        for t in sents:
            words = [re.escape(w) for w in t.split()]
            pat = re.compile(r"[ \t]*" + r"\s+".join(words))
            m = pat.search(self.text)
            if not m:
                self.missing("the sentence %r" % t)
            a, b = m.start(), m.end()
            if self.text[line_start(self.text, a):a].strip() == "" and \
                    self.text[b:b + 1] == "\n":
                a = line_start(self.text, a)     # a sentence of whole lines
                b += 1
            self.cut(a, b)


# --- the edits --------------------------------------------------------------

def edit_tree(tree):
    def f(rel):
        return Source(tree, rel)

    files = []

    k = f("drivers/vfio/Kconfig")
    k.remove_kconfig_entry("VFIO_NOIOMMU")
    k.remove_sentences()
    files.append(k)

    h = f("drivers/vfio/vfio.h")
    h.remove_ifdef("CONFIG_VFIO_NOIOMMU")
    h.remove_member("VFIO_NO_IOMMU")
    h.remove_definition("vfio_device_is_noiommu", count=2)
    h.remove_definition("vfio_iommufd_device_has_compat_ioas", count=2)
    h.fold_ifs()
    files.append(h)

    m = f("drivers/vfio/vfio_main.c")
    m.remove_ifdef("CONFIG_VFIO_NOIOMMU")
    m.fold_ifs()
    files.append(m)

    c = f("drivers/vfio/container.c")
    c.remove_member("noiommu")
    for fn in ("vfio_noiommu_open", "vfio_noiommu_release",
               "vfio_noiommu_ioctl", "vfio_noiommu_attach_group",
               "vfio_noiommu_detach_group", "vfio_noiommu_ops"):
        c.remove_definition(fn)
    c.fold_ifs()
    c.remove_definition("vfio_iommu_driver_allowed")
    c.remove_statements(r"container->noiommu\s*=", "the noiommu assignment")
    c.remove_unused_labels()
    files.append(c)

    g = f("drivers/vfio/group.c")
    g.fold_ifs()
    g.fold_ternaries()
    # What is left of the fake-group allocator serves emulated (mdev) groups
    # only.  Their sysfs group name stays as it was: that is ABI of mdev.
    g.rename("vfio_noiommu_group_alloc", "vfio_emulated_group_alloc")
    files.append(g)

    i = f("drivers/vfio/iommufd.c")
    i.remove_definition("vfio_iommufd_device_has_compat_ioas")
    i.fold_ifs()
    files.append(i)

    p = f("drivers/iommu/iommufd/iommufd_private.h")
    p.remove_member("no_iommu_mode")
    files.append(p)

    v = f("drivers/iommu/iommufd/vfio_compat.c")
    v.remove_definition("iommufd_vfio_compat_set_no_iommu")
    v.remove_cases("VFIO_NOIOMMU_IOMMU")
    v.fold_returns()
    v.fold_ifs()
    v.remove_statements(r"bool\s+no_iommu_mode\s*=", "the no_iommu_mode local")
    files.append(v)

    d = f("include/linux/iommufd.h")
    d.remove_definition("iommufd_vfio_compat_set_no_iommu", count=2)
    files.append(d)

    u = f("include/uapi/linux/vfio.h")
    mu = re.search(r"^#define\s+VFIO_NOIOMMU_IOMMU\s+\d+\s*$", u.text, re.M)
    if not mu:
        u.missing("#define VFIO_NOIOMMU_IOMMU")
    u.remove_lines(mu.start(), mu.end(), comment="any")
    files.append(u)

    r = f("Documentation/driver-api/vfio.rst")
    r.remove_sentences()
    files.append(r)

    for s in files:
        s.save()
        print("  edited %s" % s.rel)


def check(tree):
    """Fail when any trace of the feature is left where it lived."""
    bad = []
    for rel in CHECKED:
        base = tree / rel
        paths = sorted(base.rglob("*")) if base.is_dir() else [base]
        for path in paths:
            if not path.is_file():
                continue
            text = path.read_text(errors="replace")
            if path.suffix in (".c", ".h"):
                # String literals are data, not names: the emulated group
                # keeps its sysfs name.  Comments and code are checked.
                text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
            for n, line in enumerate(text.split("\n"), 1):
                if TRACE.search(line):
                    bad.append("%s:%d: %s" % (path.relative_to(tree), n,
                                              line.strip()))
    if bad:
        print("remove-noiommu: traces of no-IOMMU mode remain:",
              file=sys.stderr)
        print("\n".join("  " + b for b in bad), file=sys.stderr)
        return 1
    print("  check: no trace of no-IOMMU mode in %s" % ", ".join(CHECKED))
    return 0


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.strip().split("\n")[-1], file=sys.stderr)
        return 2
    tree = Path(args[0])
    if "--check-only" not in argv:
        try:
            edit_tree(tree)
        except Missing as e:
            print("remove-noiommu: %s" % e, file=sys.stderr)
            return 1
    return check(tree)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
