--TEST--
InDoubtException (a money move whose answer was lost is not sent again) and RateLimitedException
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
$transfer = ['idempotency_key' => 'paya-' . bin2hex(random_bytes(6)), 'amount' => 10000,
    'iban' => 'IR820540102680020817909002', 'cif' => '1'];
try {
    // The first try's answer is lost (the connection drops after the transfer was made)…
    fault('mupra.paya', ['drop_after_process' => true, 'count' => 1]);
    echo thrown(fn() => $client->call('mupra.paya_transfer', $transfer)), "\n";
    // …so the same key is never sent again.
    $before = stats()['calls']['mupra.paya'] ?? 0;
    try {
        $client->call('mupra.paya_transfer', $transfer);
    } catch (Dargah\InDoubtException $e) {
        echo get_class($e), " ", $e->getKind(), " ", $e->getCode(), " in doubt: ", var_export($e->isInDoubt(), true), "\n";
    }
    echo "mupra.paya calls: +", (stats()['calls']['mupra.paya'] ?? 0) - $before, "\n";

    fault('vandar.business', ['status' => 429]);
    try {
        $client->call('vandar.balance');
    } catch (Dargah\RateLimitedException $e) {
        echo get_class($e), " ", $e->getKind(), " ", $e->getCode(), " HTTP ", $e->getHttpStatus(), "\n";
    }
} finally {
    clear_faults();
}
?>
--EXPECTF--
Dargah\NetworkException (network, 9): %s
Dargah\InDoubtException in_doubt 14 in doubt: true
mupra.paya calls: +0
Dargah\RateLimitedException rate_limited 15 HTTP 429
