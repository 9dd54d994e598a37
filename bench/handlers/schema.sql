-- The hand-written handlers' own table (bench/handlers/plain.php, bench/py_bench.py).
CREATE TABLE IF NOT EXISTS orders (
    token       TEXT PRIMARY KEY,
    invoice_id  TEXT NOT NULL UNIQUE,
    amount      INTEGER NOT NULL,
    state       TEXT NOT NULL,
    fence       INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    trans_id    TEXT,
    card        TEXT,
    paid_at     INTEGER
);
