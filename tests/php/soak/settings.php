<?php
// A shop whose settings changed: version ?v=N of the configuration differs in one value,
// so each version is a client of its own in every worker, with a store connection of its own.
$cfg = require __DIR__ . '/config.php';
$cfg['lease_secs'] = 100 + (int) ($_GET['v'] ?? 0);
$client = new Dargah\Client($cfg);
try {
    $client->payments(null, 1);
    echo 'ok ', getmypid(), "\n";
} catch (Dargah\Exception $e) {
    http_response_code(503);
    echo 'error ', $e->getKind(), ': ', $e->getMessage(), "\n";
}
