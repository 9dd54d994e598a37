<?php
// recover.php CONFIG_PHP: the shop's cron job after the load. A payment whose claim was
// stored just as the database went down is finished here once its lease has run out;
// prints its outcomes as callback.php does.
$client = new Dargah\Client(require $argv[1]);
$report = $client->recover(1000);
foreach ($report['outcomes'] as $outcome) {
    echo $outcome->kind->value, ' ', $outcome->payment->id, ' ', getmypid(), "\n";
}
foreach ($report['errors'] as $error) {
    echo 'error ', $error['kind'] ?? '?', ' ', $error['payment_id'] ?? '?', "\n";
}
