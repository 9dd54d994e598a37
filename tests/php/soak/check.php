<?php
// check.php CONFIG_PHP IDS: how many of the payments are paid in the store.
[$config, $ids] = [$argv[1], $argv[2]];
$client = new Dargah\Client(require $config);
$paid = 0;
foreach (file($ids, FILE_IGNORE_NEW_LINES) as $id) {
    $paid += $client->payment($id)->isPaid() ? 1 : 0;
}
echo $paid, "\n";
