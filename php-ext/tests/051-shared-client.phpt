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

// A shop whose settings changed 20 times: the 16 most recent configurations are
// kept (the least recently used one, not in use, is freed with its connections),
// so the newest is reused, not made again in every request.
unset($other);
$versions = [];
for ($version = 0; $version < 20; $version++) {
    $versions[] = sandbox_config(['lease_secs' => 100 + $version]);
    (new Dargah\Client(end($versions)))->call('mupra.balance');
}
ob_start();
phpinfo(INFO_MODULES);
preg_match('/clients kept by this process => (\d+)/', ob_get_clean(), $m);
echo "after 20 settings changes, clients kept: $m[1]; connections to the gateway: ", count(connections_to($port)), "\n";
$before = connections_to($port);
$newest = new Dargah\Client(end($versions));
$newest->call('mupra.balance');
echo "the newest configuration reuses its client: ", var_export(connections_to($port) === $before, true), "\n";
?>
--EXPECT--
connections per request: 1 1 1
the same connection each time: true
with a second configuration: 2
clients kept: 2
after 20 settings changes, clients kept: 16; connections to the gateway: 16
the newest configuration reuses its client: true
