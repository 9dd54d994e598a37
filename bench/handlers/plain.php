<?php
/*
 * The baseline of B2: a careful hand-written Vandar callback with curl and
 * PDO (SQLite, WAL, synchronous=FULL as Dargah's store), doing the locked
 * verify correctly — the claim committed before the verify (a lease under a
 * rising fence, so concurrent deliveries do not both verify), the outcome
 * stored after it under the same fence. As a plain PHP handler does, it
 * opens its database and its connection to the gateway in every request.
 */
header('Content-Type: application/json');
function answer(string $kind): never { echo json_encode(['kind' => $kind]), "\n"; exit; }

$token = $_GET['token'] ?? '';
if (!is_string($token) || $token === '') { http_response_code(400); answer('invalid_callback'); }
$pdo = new PDO('sqlite:' . getenv('BENCH_PLAIN_DB'), null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$pdo->exec('PRAGMA journal_mode = WAL');
$pdo->exec('PRAGMA synchronous = FULL');
$now = (int) (microtime(true) * 1000);

// 1. The claim: its own transaction, committed before the gateway is called.
$pdo->exec('BEGIN IMMEDIATE');
$select = $pdo->prepare('SELECT amount, state, fence, lease_until FROM orders WHERE token = ?');
$select->execute([$token]);
$row = $select->fetch(PDO::FETCH_ASSOC);
$select->closeCursor(); // an open cursor keeps a read snapshot, and BEGIN IMMEDIATE would fail on it
if (!$row) { $pdo->exec('ROLLBACK'); http_response_code(404); answer('unknown_payment'); }
if ($row['state'] === 'paid') { $pdo->exec('COMMIT'); answer('already_paid'); }
if ($row['state'] === 'verifying') {
    // A live lease: someone is verifying. An expired one: its verify may have gone
    // through, and Vandar verifies once; transaction info must decide (a recovery job).
    $pdo->exec('COMMIT');
    answer('in_progress');
}
if (($_GET['payment_status'] ?? '') !== 'OK') { $pdo->exec('COMMIT'); answer('failed'); }
$fence = $row['fence'] + 1;
$pdo->prepare("UPDATE orders SET state = 'verifying', fence = ?, lease_until = ? WHERE token = ?")->execute([$fence, $now + 60000, $token]);
$pdo->exec('COMMIT');

// 2. The verify.
$curl = curl_init(getenv('BENCH_SANDBOX') . '/vandar/ipg/api/v4/verify');
curl_setopt_array($curl, [
    CURLOPT_POST => true,
    CURLOPT_POSTFIELDS => json_encode(['api_key' => 'sandbox-vandar-ipg-api-key', 'token' => $token]),
    CURLOPT_HTTPHEADER => ['Content-Type: application/json', 'Accept: application/json'],
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_CONNECTTIMEOUT => 5,
    CURLOPT_TIMEOUT => 20,
]);
$body = curl_exec($curl);
$status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
if ($body === false) { answer('in_progress'); } // in doubt: the lease expires, recovery asks transaction info
$verify = json_decode($body, true);

// 3. The outcome, under the claim's fence.
$pdo->exec('BEGIN IMMEDIATE');
if ($status === 200 && ($verify['status'] ?? 0) === 1 && (int) round((float) ($verify['amount'] ?? 0)) === (int) $row['amount']) {
    $pdo->prepare("UPDATE orders SET state = 'paid', trans_id = ?, card = ?, paid_at = ?, lease_until = 0 WHERE token = ? AND fence = ?")
        ->execute([(string) ($verify['transId'] ?? ''), (string) ($verify['cardNumber'] ?? ''), $now, $token, $fence]);
    $pdo->exec('COMMIT');
    answer('newly_paid');
}
$pdo->prepare("UPDATE orders SET state = 'awaiting', lease_until = 0 WHERE token = ? AND fence = ?")->execute([$token, $fence]);
$pdo->exec('COMMIT');
answer('failed');
