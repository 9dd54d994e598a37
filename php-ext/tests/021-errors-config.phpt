--TEST--
ConfigException: unknown keys, bad values, a gateway that is not configured; no credential in a message
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$secret = 'SECRET-do-not-print';
foreach ([
    'unknown key' => fn() => new Dargah\Client(['store' => test_store(), 'canpay' => ['merchnt' => $secret]]),
    'http base URL' => fn() => new Dargah\Client(['store' => test_store(), 'canpay' => ['merchant' => $secret, 'base_url' => "http://$secret.example/api/ipg/"]]),
    'mistyped value' => fn() => new Dargah\Client(['store' => test_store(), 'mupra' => ['api_key' => [$secret]]]),
    'not UTF-8' => fn() => new Dargah\Client(['store' => test_store(), 'mupra' => ['api_key' => "$secret\xff"]]),
    'not JSON' => fn() => new Dargah\Client("{not json $secret"),
    'a list' => fn() => new Dargah\Client([test_store(), $secret]),
    'not configured' => fn() => (new Dargah\Client(['store' => test_store(), 'canpay' => ['merchant' => $secret]]))
        ->createPayment('mupra', invoice(), AMOUNT, callback_url('mupra')),
    'no Sepal' => fn() => (new Dargah\Client(['store' => test_store()]))->call('sepal.payment_state', ['payment_number' => 1]),
] as $case => $f) {
    $text = thrown($f);
    echo str_pad($case, 15), str_starts_with($text, 'Dargah\ConfigException (config, 2): ') ? 'ConfigException' : $text,
        str_contains($text, $secret) ? ' WITH THE SECRET' : '', "\n";
}
// JSON text works as well as an array.
$config = sandbox_config();
$client = new Dargah\Client(json_encode($config));
echo get_class($client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'))), "\n";
?>
--EXPECT--
unknown key    ConfigException
http base URL  ConfigException
mistyped value ConfigException
not UTF-8      ConfigException
not JSON       ConfigException
a list         ConfigException
not configured ConfigException
no Sepal       ConfigException
Dargah\Payment
