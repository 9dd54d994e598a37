"""docs/benchmarks.md from the results of bench/run.sh (one JSON object per line).

    python3 bench/report.py build/bench/results.jsonl docs/benchmarks.md

The "before" column comes from bench/results/before.jsonl when it exists
(the figures of the code before issue 18's changes, kept with
BENCH_LABEL=before); bench/results/before-29.jsonl, when it exists, comes
first: the sizes and import time before issue 29's release profile, measured
on commit 3974eba with the commands its rows name.
"""
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def one(rows, bench, **match):
    for r in rows or []:
        if r.get("bench") == bench and all(r.get(k) == v for k, v in match.items()):
            return r
    return None


def spread(values):
    return statistics.median(values), min(values), max(values)


def figures(rows):
    """name -> (median, min, max, better, target, note); and the absolute figures."""
    out, notes = {}, {}
    if rows is None:
        return out, notes
    if b1 := one(rows, "b1"):
        out["B1 handle_callback ÷ physical minimum"] = (b1["ratio_median"], b1["ratio_min"], b1["ratio_max"], "lower", "≤ 1.1")
        notes["B1"] = (f"handle_callback p50 {b1['dargah_p50_us']:.0f} µs, p99 {b1['dargah_p99_us']:.0f} µs; minimum p50 {b1['minimum_p50_us']:.0f} µs "
                       f"(gateway round trip {b1['round_trip_p50_us']:.0f} µs + two commits {b1['commit_pair_p50_us']:.0f} µs)")
    b2 = [r for r in rows if r.get("bench") == "b2round"]
    if b2:
        by = {(r["variant"], r["round"]): r for r in b2}
        # A round counts only if both handlers answered every callback "newly paid".
        clean = lambda r: set(r.get("kinds", {})) == {"newly_paid"}
        rounds = sorted(n for n in {r["round"] for r in b2} if all(clean(by[(v, n)]) for v in ("plain", "dargah") if (v, n) in by))
        if not rounds:
            notes["B2"] = "not measured: " + ", ".join(sorted({r["variant"] + ": " + k[:60].replace(chr(10), " ") for r in b2 for k in r.get("kinds", {}) if k != "newly_paid"}))
            b2 = []
    if b2:
        tput = [by[("dargah", n)]["per_s"] / by[("plain", n)]["per_s"] for n in rounds if ("dargah", n) in by and ("plain", n) in by]
        p99 = [by[("dargah", n)]["p99_us"] / by[("plain", n)]["p99_us"] for n in rounds if ("dargah", n) in by and ("plain", n) in by]
        out["B2 PHP-FPM callbacks/s, extension ÷ curl + PDO"] = (*spread(tput), "higher", "≥ 2")
        out["B2 PHP-FPM p99, extension ÷ curl + PDO"] = (*spread(p99), "lower", "—")
        med = lambda v, k: statistics.median(by[(v, n)][k] for n in rounds)
        kinds = {}
        for r in b2:
            for k, c in r.get("kinds", {}).items():
                kinds[(r["variant"], k)] = kinds.get((r["variant"], k), 0) + c
        notes["B2"] = (f"extension {med('dargah', 'per_s'):.0f}/s (p99 {med('dargah', 'p99_us') / 1000:.1f} ms), "
                       f"curl + PDO {med('plain', 'per_s'):.0f}/s (p99 {med('plain', 'p99_us') / 1000:.1f} ms); 4 workers, 8 concurrent clients; "
                       "answers: " + ", ".join(f"{v} {k} {c}" for (v, k), c in sorted(kinds.items())))
    for threads in (1, 8):
        if b3 := one(rows, "b3", threads=threads):
            out[f"B3 Python callbacks/s, {threads} thread{'s' if threads > 1 else ''}: dargah ÷ requests + sqlite3"] = (
                b3["ratio_median"], b3["ratio_min"], b3["ratio_max"], "higher", "≥ 2" if threads == 8 else "—")
            notes[f"B3 {threads}"] = f"{threads} thread(s): dargah {b3['dargah_per_s']:.0f}/s, requests + sqlite3 {b3['plain_per_s']:.0f}/s"
    storms = [r for r in rows if r.get("bench") == "b2storm"]
    if storms:
        by = {(r["variant"], r["round"]): r for r in storms}
        # Exactly one newly_paid per storm in both handlers, or the round does not count.
        once = lambda r: r.get("kinds", {}).get("newly_paid") == 1 and not any(k.startswith("error") for k in r.get("kinds", {}))
        rounds = sorted(n for n in {r["round"] for r in storms} if all((v, n) in by and once(by[(v, n)]) for v in ("plain", "dargah")))
        if rounds:
            p99 = [by[("dargah", n)]["p99_us"] / by[("plain", n)]["p99_us"] for n in rounds]
            out["B4 PHP-FPM 128 duplicates: p99, extension ÷ curl + PDO"] = (*spread(p99), "lower", "≤ 0.5")
            med = lambda v: statistics.median(by[(v, n)]["p99_us"] for n in rounds)
            notes["B4 FPM"] = (f"storm p99: extension {med('dargah') / 1000:.1f} ms, curl + PDO {med('plain') / 1000:.1f} ms; 4 workers, 128 connections; "
                               f"{len(rounds)} of {len({r['round'] for r in storms})} rounds with exactly one newly_paid in both")
        else:
            notes["B4 FPM"] = "not measured: a storm without exactly one newly_paid: " + "; ".join(f"{r['variant']} {r.get('kinds')}" for r in storms)
    if b4 := one(rows, "b4"):
        out["B4 128 duplicates: p99 ÷ one delivery"] = (b4["ratio_median"], b4["ratio_min"], b4["ratio_max"], "lower", "≤ 3")
        notes["B4"] = (f"one delivery p50 {b4['single_p50_us']:.0f} µs; storm p50 {b4['storm_p50_us']:.0f} µs, p99 {b4['storm_p99_us']:.0f} µs; "
                       f"verifies per storm {b4['verifies']}, newly_paid per storm {b4['newly_paid']} (target: exactly 1)")
    if b6 := one(rows, "b6size"):
        out["B6 p99 with 1M stored ÷ with 1k"] = (b6["ratio_median"], b6["ratio_min"], b6["ratio_max"], "lower", "≤ 1.2")
        notes["B6 size"] = (f"1k: p50 {b6['small_p50_us']:.0f} µs, p99 {b6['small_p99_us']:.0f} µs; "
                            f"1M: p50 {b6['big_p50_us']:.0f} µs, p99 {b6['big_p99_us']:.0f} µs")
    for store, target in (("sqlite", "≥ 1.5"), ("postgres", "≥ 4"), ("mysql", "—")):
        if b6 := one(rows, "b6procs", store=store):
            name = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MariaDB"}[store]
            out[f"B6 8 processes ÷ 1 process, {name}"] = (b6["ratio_median"], b6["ratio_min"], b6["ratio_max"], "higher", target)
            notes[f"B6 {store}"] = (f"{name}: 1 process {b6['one_per_s']:.0f}/s (p99 {b6['one_p99_us'] / 1000:.1f} ms), "
                                    f"8 processes {b6['many_per_s']:.0f}/s (p99 {b6['many_p99_us'] / 1000:.1f} ms)")
    if b6 := one(rows, "b6wheel"):
        out["B6 8 processes ÷ 1 process, SQLite, through the wheel"] = (b6["ratio_median"], b6["ratio_min"], b6["ratio_max"], "higher", "≥ 1.5")
        notes["B6 wheel"] = f"SQLite through the wheel: 1 process {b6['one_per_s']:.0f}/s, 8 processes {b6['many_per_s']:.0f}/s"
    ext, plain = one(rows, "b5mem", pool="ext"), one(rows, "b5mem", pool="plain")
    if ext and plain and ext["private_kb"] and plain["private_kb"]:
        e, p = statistics.median(ext["private_kb"]), statistics.median(plain["private_kb"])
        out["B5 private memory per PHP-FPM worker, with ÷ without the extension"] = (e / p, e / p, e / p, "lower", "—")
        notes["B5 mem"] = f"private memory per worker after B2: {e / 1024:.1f} MB with the extension, {p / 1024:.1f} MB without (+{(e - p) / 1024:.1f} MB)"
    if imp := one(rows, "b5import"):
        out["B5 `import dargah` ÷ `import requests, sqlite3`"] = (imp["dargah_ms"] / imp["plain_ms"], imp["dargah_min_ms"] / imp["plain_min_ms"], imp["dargah_max_ms"] / imp["plain_max_ms"], "lower", "—")
        notes["B5 import"] = f"import dargah {imp['dargah_ms']:.1f} ms (min {imp['dargah_min_ms']:.1f}), import requests, sqlite3 {imp['plain_ms']:.1f} ms (min {imp['plain_min_ms']:.1f})"
    if above := one(rows, "b5stdlib"):
        v = above["above_stdlib_ms"]
        # Since issue 29's second pass: the median of 60 interpreters timing `import dargah` after those modules, with its range.
        low, high = above.get("above_stdlib_min_ms", v), above.get("above_stdlib_max_ms", v)
        out["B5 `import dargah` above its standard-library modules, ms"] = (v, low, high, "lower", "≤ 10")
        notes["B5 stdlib"] = f"import dargah {v:.1f} ms above the standard-library modules its Python layer imports ({above['stdlib_ms']:.1f} ms)" + (f", median of {above['runs']} interpreters" if "runs" in above else "")
    if size := one(rows, "b5size"):
        mb = lambda b: f"{b / 1e6:.2f} MB"
        if "libdargah_so_shipped" in size:
            shipped = size["libdargah_so_shipped"] / 1e6
            out["B5 libdargah.so as the .deb ships it, MB"] = (shipped, shipped, shipped, "lower", "≤ 8")
        out["B5 wheel, MB"] = (size["wheel"] / 1e6, size["wheel"] / 1e6, size["wheel"] / 1e6, "lower", "≤ 4")
        notes["B5 sizes"] = (f"libdargah.so {mb(size['libdargah_so'])}"
                             + (f" ({mb(size['libdargah_so_shipped'])} stripped, as the .deb ships it), libdargah.a {mb(size['libdargah_a'])}" if "libdargah_so_shipped" in size else "")
                             + (f", dargah.so (PHP) {mb(size['php_ext_so'])}" if size["php_ext_so"] else "") + f", wheel {mb(size['wheel'])} (its _native.so {mb(size['wheel_native_so'])} unpacked)")
    return out, notes


def meets(value, better, target):
    if target == "—":
        return ""
    bound = float(target.split()[-1])
    ok = value <= bound if better == "lower" else value >= bound
    return "yes" if ok else "**no**"


def fmt(f):
    if f[1] == f[2]:  # one measurement (a size, a difference of medians)
        return f"{f[0]:.2f}"
    return f"{f[0]:.2f} ({f[1]:.2f}–{f[2]:.2f})"


def bar(value, scale, width=40):
    n = max(1, min(width, round(value / scale * width))) if value > 0 else 0
    return "█" * n


def main():
    rows, doc = load(sys.argv[1]), sys.argv[2]
    before_rows = load(os.path.join(HERE, "results", "before.jsonl"))
    before_29 = load(os.path.join(HERE, "results", "before-29.jsonl"))
    if before_29 and before_rows is not None:
        before_rows = before_29 + before_rows  # one() takes the first match
    now, notes_now = figures(rows)
    before, notes_before = figures(before_rows)
    meta, end = one(rows, "meta") or {}, one(rows, "meta_end") or {}
    bmeta = one(before_rows, "meta") or {}
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.sh, bench/report.py); do not edit by hand.",
        "Release builds, on loopback against one `dargah sandbox` process, SQLite",
        "stores unless named. Every figure is a **ratio to a baseline measured in the",
        "same run**, in interleaved rounds: the median of the rounds, with the",
        "lowest and highest round in brackets; sizes (MB) and the import time above",
        "the standard library (ms) are absolute. A target column says where issues 18",
        "and 29 want the figure; `**no**` marks one not reached (see below).",
        "",
        f"This run: {meta.get('date', '?')}, commit {meta.get('commit', '?')}, {meta.get('cpus', '?')} CPUs, "
        f"{meta.get('rounds', '?')} rounds, {end.get('seconds', '?')} s; load average {meta.get('load_before', '?')} before, "
        f"{end.get('load_after', '?')} after.",
    ]
    if bmeta:
        lines.append(f"Before: {bmeta.get('date', '?')}, commit {bmeta.get('commit', '?')} (bench/results/before.jsonl), "
                     f"load average {bmeta.get('load_before', '?')}.")
    if before_29:
        lines.append(f"Before issue 29 (sizes, import time): commit {before_29[0].get('commit', '?')} (bench/results/before-29.jsonl).")
    lines += [
        "Absolute times move with the machine and its load (above); the ratios",
        "within one run are what count.",
        "",
        "| benchmark | better | target | before | now | target met |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in now.items():
        b = before.get(name)
        lines.append(f"| {name} | {f[3]} | {f[4]} | {fmt(b) if b else '—'} | {fmt(f)} | {meets(f[0], f[3], f[4])} |")
    for name, b in before.items():
        if name not in now:
            lines.append(f"| {name} | {b[3]} | {b[4]} | {fmt(b)} | — | |")
    lines += ["", "## Ratios, before and now", "", "```"]
    for name, f in now.items():
        b = before.get(name)
        scale = max(f[0], b[0] if b else 0, 1e-9)
        label = name[:66]
        lines.append(label)
        if b:
            lines.append(f"  before {b[0]:7.2f} {bar(b[0], scale)}")
        lines.append(f"  now    {f[0]:7.2f} {bar(f[0], scale)}")
    lines += ["```", "", "## Absolute figures", ""]
    for key, note in notes_now.items():
        prev = notes_before.get(key)
        lines.append(f"- **{key}** now: {note}")
        if prev:
            lines.append(f"  before: {prev}")
    notes_file = os.path.join(HERE, "results", "notes.md")
    if os.path.exists(notes_file):
        with open(notes_file) as f:
            lines += ["", f.read().strip()]
    lines += ["", "## What each benchmark does", ""]
    with open(os.path.join(HERE, "README.md")) as f:
        readme = f.read()
    lines.append(readme.split("<!-- what -->", 1)[-1].strip())
    with open(doc, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
