<?php
// The callback page as docs/php.md shows it: the configuration from a required file
// (under opcache an immutable array in shared memory), a client per request.
$cfg = require __DIR__ . '/config.php';
$client = new Dargah\Client($cfg);
try {
    $outcome = $client->handleCallback('vandar', $_GET, $_POST);
    echo $outcome->kind->value, ' ', $outcome->payment->id, ' ', getmypid(), "\n";
} catch (Dargah\Exception $e) {
    // The store is restarting: the caller tries again (a 503 is what a shop answers).
    http_response_code(503);
    error_log('dargah: ' . $e->getKind() . ': ' . $e->getMessage());
    echo 'error ', $e->getKind(), ' ', getmypid(), ': ', $e->getMessage(), "\n";
}
