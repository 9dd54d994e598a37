<?php
/*
 * The example shop's plumbing: its configuration, its database, one
 * Dargah\Client, crediting an order, and the page layout. Each page in
 * public/ includes this file.
 */
declare(strict_types=1);

namespace Shop;

use Dargah;
use PDO;

/** item => [name, price in rial] */
const CATALOG = [
    'book' => ['The Shahnameh, illustrated', 1_250_000],
    'pen' => ['A fountain pen', 480_000],
];
const GATEWAYS = ['vandar', 'mupra', 'canpay', 'atipay'];
const SESSION_COOKIE = 'shop_session';

/*
 * Dargah's configuration: the JSON file named by DARGAH_CONFIG, or
 * config/sandbox.json, which points every gateway at a sandbox on
 * 127.0.0.1:8700 (`cargo run -p dargah-cli -- sandbox --port 8700`).
 */
function config(): array
{
    $file = getenv('DARGAH_CONFIG') ?: __DIR__ . '/../config/sandbox.json';
    $config = json_decode(file_get_contents($file), true, flags: JSON_THROW_ON_ERROR);
    $config['store'] ??= 'sqlite://' . data_dir() . '/dargah.db';
    return $config;
}

/*
 * The shop's own address, for the gateways' callback URL: SHOP_URL (e.g.
 * https://shop.example) in production, where the Host header must not decide
 * where a gateway sends customers; the request's host under `php -S`.
 */
function base_url(): string
{
    if ($url = getenv('SHOP_URL')) {
        return rtrim($url, '/');
    }
    $scheme = ($_SERVER['HTTPS'] ?? '') === 'on' ? 'https' : 'http';
    return "$scheme://{$_SERVER['HTTP_HOST']}";
}

function data_dir(): string
{
    $dir = getenv('SHOP_DATA') ?: __DIR__ . '/../var';
    is_dir($dir) || mkdir($dir, 0770, true);
    return $dir;
}

/*
 * One client per request is cheap: the extension keeps the underlying client
 * (its connections to the gateways, its store) for the life of the PHP-FPM
 * worker, keyed by the configuration.
 */
function dargah(): Dargah\Client
{
    static $client;
    return $client ??= new Dargah\Client(config());
}

function db(): PDO
{
    static $db;
    if ($db) {
        return $db;
    }
    $db = new PDO('sqlite:' . data_dir() . '/shop.db', options: [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $db->exec('PRAGMA busy_timeout = 5000');
    $db->exec('PRAGMA journal_mode = WAL');
    $db->exec(<<<SQL
        CREATE TABLE IF NOT EXISTS orders (
            id INTEGER PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,      -- the order page's unguessable address
            invoice_id TEXT NOT NULL UNIQUE,     -- the order id the gateway sees
            item TEXT NOT NULL,
            amount INTEGER NOT NULL,             -- rial
            gateway TEXT NOT NULL,
            payment_id TEXT UNIQUE,              -- Dargah's "dp_…"
            status TEXT NOT NULL DEFAULT 'awaiting payment',
            created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        -- One credit per payment, whatever happens: the database says so too.
        CREATE TABLE IF NOT EXISTS credits (
            payment_id TEXT PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            amount INTEGER NOT NULL,
            reference TEXT,
            credited_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        -- Paid payments that did not pay what their order costs now: a person decides.
        CREATE TABLE IF NOT EXISTS reviews (
            payment_id TEXT PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            paid INTEGER NOT NULL,               -- rial, as the gateway verified it
            due INTEGER NOT NULL,                -- rial, the order's amount then
            at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        -- What happened to an order, shown on its page.
        CREATE TABLE IF NOT EXISTS history (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            event TEXT NOT NULL,
            at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        SQL);
    return $db;
}

function order_by(string $column, string $value): ?array
{
    $query = db()->prepare("SELECT * FROM orders WHERE $column = ?");
    $query->execute([$value]);
    return $query->fetch(PDO::FETCH_ASSOC) ?: null;
}

function note(int $order_id, string $event): void
{
    db()->prepare('INSERT INTO history (order_id, event) VALUES (?, ?)')->execute([$order_id, $event]);
}

/*
 * Credit a paid order, once: Dargah tells exactly one caller "newly paid",
 * and the credits table's key on the payment id makes a second credit a no-op
 * anyway. Then tell Dargah the order is fulfilled, so it leaves the outbox
 * that bin/fulfil.php works through.
 *
 * The payment must have paid what the order costs at this moment (read in
 * the same write transaction): an order edited after the customer was sent
 * to pay is not credited but set to "needs review", with both amounts in its
 * history, once (the reviews table's key). It is acknowledged all the same:
 * the payment was received, and crediting it again would change nothing.
 */
function credit(array $order, Dargah\Payment $payment, string $how): void
{
    $db = db();
    $db->exec('BEGIN IMMEDIATE'); // The write lock first: the amount read below stays true until COMMIT.
    try {
        $order = order_by('id', (string) $order['id']);
        $paid = $payment->verifiedAmount ?? $payment->amount;
        $due = (int) $order['amount'];
        if ($paid !== $due) {
            $insert = $db->prepare('INSERT OR IGNORE INTO reviews (payment_id, order_id, paid, due) VALUES (?, ?, ?, ?)');
            $insert->execute([$payment->id, $order['id'], $paid, $due]);
            if ($insert->rowCount() === 1) {
                $db->prepare("UPDATE orders SET status = 'needs review' WHERE id = ? AND status != 'paid'")->execute([$order['id']]);
                note((int) $order['id'], "payment received ($how) but not credited: it paid " . rial($paid) . ', the order now costs ' . rial($due) . ", reference {$payment->reference}");
            }
        } else {
            $insert = $db->prepare('INSERT OR IGNORE INTO credits (payment_id, order_id, amount, reference) VALUES (?, ?, ?, ?)');
            $insert->execute([$payment->id, $order['id'], $paid, $payment->reference]);
            if ($insert->rowCount() === 1) {
                $db->prepare("UPDATE orders SET status = 'paid' WHERE id = ?")->execute([$order['id']]);
                note((int) $order['id'], "payment confirmed ($how), reference {$payment->reference}");
            }
        }
        $db->exec('COMMIT');
    } catch (\Throwable $e) {
        $db->exec('ROLLBACK');
        throw $e;
    }
    try {
        dargah()->acknowledge($payment->id);
    } catch (Dargah\Exception $e) {
        // Settled already; bin/fulfil.php finds it again, settles nothing twice, and acknowledges then.
        error_log("payment {$payment->id}: acknowledge failed: " . get_class($e) . ': ' . $e->getMessage());
    }
}

/* Remember the customer's orders in their session (a convenience only). */
function start_session(): void
{
    session_set_cookie_params(['httponly' => true, 'samesite' => 'Lax']);
    session_name(SESSION_COOKIE);
    session_start();
}

function h(string|int|null $text): string
{
    return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function rial(int $amount): string
{
    return number_format($amount) . ' rial';
}

function page(string $title, string $body, int $status = 200): never
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    echo <<<HTML
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{$title} — Example shop</title></head>
        <body>
        <h1><a href="/">Example shop</a></h1>
        {$body}
        </body>
        </html>
        HTML;
    exit;
}

function redirect(string $location): never
{
    header('Location: ' . $location, true, 303);
    exit;
}
