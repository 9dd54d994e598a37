--TEST--
fork(): a client used before pcntl_fork() works in the children, which make their own threads and connections
--EXTENSIONS--
dargah
pcntl
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
[$payment, $callback] = paid_payment($client, 'canpay'); // the parent's threads and pool exist now

$children = [];
for ($i = 0; $i < 2; $i++) {
    $pid = pcntl_fork();
    if ($pid === 0) {
        // Both children deliver the same callback; one of them is told "newly paid".
        $outcome = $client->handleCallback('canpay', $callback['get'], $callback['post']);
        $own = $client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'));
        exit($outcome->isPaid() && $own->token ? ($outcome->isNewlyPaid() ? 10 : 11) : 1);
    }
    $children[] = $pid;
}
$codes = [];
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
    $codes[] = pcntl_wexitstatus($status);
}
sort($codes);
echo "children: ", implode(',', $codes), "\n";
echo "parent: ", $client->handleCallback('canpay', $callback['get'], $callback['post'])->kind->value, "\n";
echo "verify calls: ", verify_calls('canpay', $payment->token), "\n";
?>
--EXPECT--
children: 10,11
parent: already_paid
verify calls: 1
