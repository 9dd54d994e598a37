"""B3 and B5 (Python): callbacks/s with the installed dargah wheel vs a careful
hand-written handler (requests + sqlite3, the same locked verify as
bench/handlers/plain.php), with 1 and 8 threads; B6 through the wheel: 8
processes on one SQLite store against one; and `import dargah` time vs
`import requests, sqlite3`, and above the standard-library modules its Python
layer imports, in fresh interpreters.

    python py_bench.py BENCH_BIN SANDBOX_URL DIR ROUNDS N

Prints one JSON object per figure. Run by bench/run.sh in a venv that has
the release wheel and requests.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

import requests  # the baseline's HTTP client

import dargah

BIN, SANDBOX, DIR, ROUNDS, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
API_KEY = "sandbox-vandar-ipg-api-key"
os.makedirs(DIR, exist_ok=True)
STORE = os.path.join(DIR, "py-dargah.db")
PLAIN = os.path.join(DIR, "py-plain.db")
for f in (STORE, PLAIN):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f + suffix):
            os.remove(f + suffix)
CONFIG = json.loads(subprocess.run([BIN, "config", "--sandbox", SANDBOX, "--store", "sqlite://" + STORE], check=True, capture_output=True, text=True).stdout)


def prep(kind: str, n: int, store: str = STORE) -> list:
    out = os.path.join(DIR, f"py-{kind}.queries")
    args = [BIN, "prep", "--sandbox", SANDBOX, "--kind", kind, "--n", str(n), "--out", out]
    args += ["--store", "sqlite://" + store] if kind == "dargah" else ["--db", PLAIN]
    subprocess.run(args, check=True, capture_output=True)
    with open(out) as f:
        return [line.strip() for line in f if line.strip()]


client = dargah.Client(CONFIG)


def with_dargah(query: str) -> str:
    return client.handle_callback("vandar", query).kind.value


local = threading.local()


def plain_conn():
    if not hasattr(local, "db"):
        import sqlite3
        db = sqlite3.connect(PLAIN, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        local.db, local.http = db, requests.Session()
    return local.db, local.http


def by_hand(query: str) -> str:
    """Claim (committed) → verify → outcome under the claim's fence."""
    fields = dict(parse_qsl(query))
    token = fields.get("token", "")
    db, http = plain_conn()
    now = int(time.time() * 1000)
    db.execute("BEGIN IMMEDIATE")
    rows = db.execute("SELECT amount, state, fence, lease_until FROM orders WHERE token = ?", (token,)).fetchall()  # exhausted: no open read snapshot
    row = rows[0] if rows else None
    if row is None:
        db.execute("ROLLBACK")
        return "unknown_payment"
    amount, state, fence, _lease = row
    if state == "paid":
        db.execute("COMMIT")
        return "already_paid"
    if state == "verifying":  # live: someone verifies; expired: a recovery asks transaction info
        db.execute("COMMIT")
        return "in_progress"
    if fields.get("payment_status") != "OK":
        db.execute("COMMIT")
        return "failed"
    fence += 1
    db.execute("UPDATE orders SET state = 'verifying', fence = ?, lease_until = ? WHERE token = ?", (fence, now + 60000, token))
    db.execute("COMMIT")
    try:
        r = http.post(SANDBOX + "/vandar/ipg/api/v4/verify", json={"api_key": API_KEY, "token": token}, timeout=(5, 20))
    except requests.RequestException:
        return "in_progress"
    body = r.json()
    db.execute("BEGIN IMMEDIATE")
    if r.status_code == 200 and body.get("status") == 1 and round(float(body.get("amount", 0))) == amount:
        db.execute(
            "UPDATE orders SET state = 'paid', trans_id = ?, card = ?, paid_at = ?, lease_until = 0 WHERE token = ? AND fence = ?",
            (str(body.get("transId", "")), str(body.get("cardNumber", "")), now, token, fence),
        )
        db.execute("COMMIT")
        return "newly_paid"
    db.execute("UPDATE orders SET state = 'awaiting', lease_until = 0 WHERE token = ? AND fence = ?", (token, fence))
    db.execute("COMMIT")
    return "failed"


def run(handler, queries: list, threads: int) -> float:
    kinds = []
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        kinds = list(pool.map(handler, queries))
    secs = time.perf_counter() - t
    bad = [k for k in kinds if k != "newly_paid"]
    if bad:
        raise SystemExit(f"{handler.__name__}: {len(bad)} callbacks were not newly paid: {bad[:3]}")
    return len(queries) / secs


# Warm both (the first call builds Dargah's runtime and connections; requests imports lazily).
run(with_dargah, prep("dargah", 5), 1)
run(by_hand, prep("plain", 5), 1)
for threads in (1, 8):
    ratios, ours, theirs = [], [], []
    for _ in range(ROUNDS):
        a = run(by_hand, prep("plain", N), threads)
        b = run(with_dargah, prep("dargah", N), threads)
        theirs.append(a)
        ours.append(b)
        ratios.append(b / a)
    print(json.dumps({"bench": "b3", "threads": threads, "rounds": ROUNDS, "n": N,
                      "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
                      "dargah_per_s": statistics.median(ours), "plain_per_s": statistics.median(theirs)}), flush=True)

# B6 through the wheel: one process (80 callbacks) against 8 processes (40
# each) on one SQLite file, 3 rounds. Each worker is a fresh interpreter with
# its own Client; all import, connect and warm up before the clock starts.
WORKER = """
import json, sys, dargah
config, queries = json.loads(sys.argv[1]), sys.argv[2].split()
client = dargah.Client(config)
client.payments(limit=1)
print("ready", flush=True)
sys.stdin.readline()
kinds = [client.handle_callback("vandar", q).kind.value for q in queries]
print(json.dumps(kinds), flush=True)
"""
PROCS_STORE = os.path.join(DIR, "py-procs.db")


def procs_per_s(procs: int, each: int) -> float:
    queries = prep("dargah", procs * each, PROCS_STORE)
    config = dict(CONFIG, store="sqlite://" + PROCS_STORE)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config), " ".join(queries[i * each:(i + 1) * each])],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for i in range(procs)]
    for w in workers:
        assert w.stdout.readline().strip() == "ready"
    t = time.perf_counter()
    for w in workers:
        w.stdin.write("go\n")
        w.stdin.flush()
    kinds = [k for w in workers for k in json.loads(w.stdout.readline())]
    secs = time.perf_counter() - t
    for w in workers:
        w.wait()
    if kinds.count("newly_paid") != len(queries):
        raise SystemExit(f"B6 wheel: {len(queries) - kinds.count('newly_paid')} callbacks were not newly paid")
    return len(queries) / secs


one, many, ratios = [], [], []
for _ in range(3):
    a, b = procs_per_s(1, 80), procs_per_s(8, 40)
    one.append(a)
    many.append(b)
    ratios.append(b / a)
print(json.dumps({"bench": "b6wheel", "store": "sqlite", "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
                  "one_per_s": statistics.median(one), "many_per_s": statistics.median(many)}), flush=True)

# B5: import time in fresh interpreters, interleaved.
def import_ms(code: str) -> float:
    program = f"import time; t0 = time.perf_counter(); {code}; print(time.perf_counter() - t0)"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd="/").stdout
    return float(out) * 1000

ours, theirs = [], []
for _ in range(30):
    ours.append(import_ms("import dargah"))
    theirs.append(import_ms("import requests, sqlite3"))
# What `import dargah` adds to the standard-library modules its Python layer
# imports itself (python/python/dargah/_*.py): Dargah's own cost. Each fresh
# interpreter imports those modules first, then times `import dargah` alone,
# so no difference of two noisy medians; the median of 60, with the
# standard-library imports' own time in the same interpreters for scale.
STDLIB = "json, logging, dataclasses, decimal, datetime, enum, typing, urllib.parse"
ABOVE = f"import time; t0 = time.perf_counter(); import {STDLIB}; t1 = time.perf_counter(); import dargah; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
stdlib, above = [], []
for _ in range(60):
    out = subprocess.run([sys.executable, "-c", ABOVE], capture_output=True, text=True, check=True, cwd="/").stdout.split()
    stdlib.append(float(out[0]) * 1000)
    above.append(float(out[1]) * 1000)
print(json.dumps({"bench": "b5import", "dargah_ms": statistics.median(ours), "dargah_min_ms": min(ours), "dargah_max_ms": max(ours),
                  "plain_ms": statistics.median(theirs), "plain_min_ms": min(theirs), "plain_max_ms": max(theirs)}), flush=True)
print(json.dumps({"bench": "b5stdlib", "above_stdlib_ms": statistics.median(above), "above_stdlib_min_ms": min(above), "above_stdlib_max_ms": max(above),
                  "runs": len(above), "stdlib_ms": statistics.median(stdlib)}), flush=True)
