#!/usr/bin/env python3
"""Turn the blocks a page calls complete into one bash script per page.

    tests/docs/extract.py OUT_DIR PAGE.md...

A block is tested when an HTML comment (invisible on GitHub) stands on the
line before its fence:

    <!-- docs-test: run -->           a shell block: run with bash -e, as written
    <!-- docs-test: file NAME -->     a C/PHP/Python/TOML block: written to NAME (then a
                                      run block compiles or runs it with the documented command)
    <!-- docs-test: output -->        the shown output of the run block before it: compared
    <!-- docs-test: output mask=RE mask=RE -->   ... after replacing what each RE matches
                                      (payment ids, times) by <masked> in both

Each page's blocks run in order in a directory of their own (/tmp/docs/PAGE),
so a page is followed from its top as a reader would. Blocks with no marker
are not run: a page says in the text when one is deliberately partial.
"""
import pathlib
import re
import shlex
import sys

MARKER = re.compile(r"^<!--\s*docs-test:\s*(run|file|output)\b(.*?)-->\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})")


def blocks(path):
    """(line number, kind, argument, text) for every marked block of a page."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if not m:
            i += 1
            continue
        kind, arg, at = m.group(1), m.group(2).strip(), i + 1
        if i + 1 >= len(lines) or not FENCE.match(lines[i + 1]):
            sys.exit(f"{path}:{at}: a docs-test marker must stand right before a fenced block")
        fence = FENCE.match(lines[i + 1]).group(1)
        j = i + 2
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        if j == len(lines):
            sys.exit(f"{path}:{at}: the block never closes")
        yield at, kind, arg, "\n".join(lines[i + 2:j]) + "\n"
        i = j + 1


def heredoc(text, n):
    tag = f"DOCS_TEST_BLOCK_{n}"
    assert tag not in text
    return f"<<'{tag}'\n{text}{tag}\n"


def script(page, name):
    out = [f"# generated from {page} by tests/docs/extract.py", "set -u", f"page={shlex.quote(str(page))}",
           f"rm -rf /tmp/docs/{name} && mkdir -p /tmp/docs/{name} && cd /tmp/docs/{name} && ln -s /tmp/dargah/build build", ". /tmp/dargah/docs/lib.sh"]
    last_run = None
    count = 0
    for n, (at, kind, arg, text) in enumerate(blocks(page)):
        count += 1
        where = f"{page}:{at}"
        if kind == "file":
            if not arg:
                sys.exit(f"{where}: docs-test: file needs a name")
            out.append(f"mkdir -p \"$(dirname {shlex.quote(arg)})\" && cat >{shlex.quote(arg)} {heredoc(text, n)}")
        elif kind == "run":
            last_run = n
            out.append(f"run_block {shlex.quote(where)} {n} {heredoc(text, n)}")
        else:
            if last_run is None:
                sys.exit(f"{where}: shown output with no run block before it")
            masks = [a[5:] for a in shlex.split(arg) if a.startswith("mask=")]
            out.append(f"compare_output {shlex.quote(where)} {last_run} {' '.join(shlex.quote(m) for m in masks)} {heredoc(text, n)}")
    return "\n".join(out) + "\n", count


def main():
    out_dir = pathlib.Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.sh"):
        old.unlink()
    total = 0
    for i, page in enumerate(map(pathlib.Path, sys.argv[2:])):
        name = re.sub(r"[^A-Za-z0-9]+", "-", str(page.with_suffix(""))).strip("-")
        text, count = script(page, name)
        if count:
            (out_dir / f"{i:02d}-{name}.sh").write_text(text)
            total += count
            print(f"{page}: {count} tested blocks")
    if total == 0:
        sys.exit("no tested blocks found")


if __name__ == "__main__":
    main()
