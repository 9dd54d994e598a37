<?php
// long-lived.php CONFIG_PHP QUERIES: the long-lived client pattern (a queue worker, a
// daemon): one Dargah\Client for thousands of callbacks. Prints what callback.php prints;
// a store error (the database restarting) is tried again after a pause, as a queue would.
[$config, $queries] = [$argv[1], $argv[2]];
$client = new Dargah\Client(require $config);
foreach (file($queries, FILE_IGNORE_NEW_LINES) as $line) {
    parse_str(explode("\t", $line)[0], $query);
    for ($try = 1; ; $try++) {
        try {
            $outcome = $client->handleCallback('vandar', $query);
            echo $outcome->kind->value, ' ', $outcome->payment->id, ' ', getmypid(), "\n";
            break;
        } catch (Dargah\StoreException $e) {
            if ($try >= 60) {
                echo 'error ', $e->getKind(), ': ', $e->getMessage(), "\n";
                break;
            }
            fwrite(STDERR, "retry after: {$e->getMessage()}\n");
            usleep(250_000);
        }
    }
}
