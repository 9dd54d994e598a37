--TEST--
Clients are kept per process and configuration: a new Client in every request reuses the connections
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
<?php if (!is_readable('/proc/self/net/tcp')) die('skip needs /proc'); ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
require __DIR__ . '/connections.inc';
$config = sandbox_config();
$port = parse_url(sandbox_url(), PHP_URL_PORT);

// Three "requests", each with its own Client object made from the same configuration.
$seen = [];
for ($request = 0; $request < 3; $request++) {
    $client = new Dargah\Client($config);
    $client->call('mupra.balance');
    $client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'));
    $seen[] = connections_to($port);
    unset($client);
}
echo "connections per request: ", implode(' ', array_map('count', $seen)), "\n";
echo "the same connection each time: ", var_export($seen[0] === $seen[1] && $seen[1] === $seen[2], true), "\n";

// Another configuration is another client, with its own connections.
$other = new Dargah\Client(sandbox_config());
$other->call('mupra.balance');
echo "with a second configuration: ", count(connections_to($port)), "\n";

ob_start();
phpinfo(INFO_MODULES);
preg_match('/clients kept by this process => (\d+)/', ob_get_clean(), $m);
echo "clients kept: $m[1]\n";
?>
--EXPECT--
connections per request: 1 1 1
the same connection each time: true
with a second configuration: 2
clients kept: 2
