--TEST--
GatewayRejectedException carries the gateway's code, message and HTTP status, and no credential
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client(['canpay' => ['merchant' => 'wrong-merchant-SECRET'], 'mupra' => ['api_key' => 'wrong-key-SECRET']]);
foreach (['canpay', 'mupra'] as $gateway) {
    try {
        $client->createPayment($gateway, invoice(), AMOUNT, callback_url($gateway));
    } catch (Dargah\GatewayRejectedException $e) {
        echo get_class($e), " ", $e->getKind(), " ", $e->getCode(), "\n";
        var_dump($e->getHttpStatus(), $e->getGatewayCode() !== null, $e->getGatewayMessage() !== null, $e->isInDoubt());
        $everything = $e->getMessage() . (string) $e . print_r($e, true) . var_export($e, true) . print_r($client, true);
        var_dump(str_contains($everything, 'SECRET'));
    }
}
?>
--EXPECT--
Dargah\GatewayRejectedException gateway_rejected 6
int(401)
bool(true)
bool(true)
bool(false)
bool(false)
Dargah\GatewayRejectedException gateway_rejected 6
int(401)
bool(true)
bool(true)
bool(false)
bool(false)
