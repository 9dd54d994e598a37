--TEST--
In-doubt errors: MalformedResponse, GatewayUnavailable, Network, Timeout
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
function show(callable $f): void
{
    try {
        $f();
        echo "nothing thrown\n";
    } catch (Dargah\Exception $e) {
        echo get_class($e), " in doubt: ", var_export($e->isInDoubt(), true), ", HTTP ", var_export($e->getHttpStatus(), true), "\n";
    }
}
$client = new_client();
$create = fn() => $client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'));
try {
    fault('canpay.token', ['malformed_json' => true, 'count' => 1]);
    show($create);
    fault('canpay.token', ['status' => 503, 'count' => 1]);
    show($create);

    $closed = stream_socket_server('tcp://127.0.0.1:0'); // a port nobody accepts on once closed
    $port = parse_url('tcp://' . stream_socket_get_name($closed, false), PHP_URL_PORT);
    fclose($closed);
    show(fn() => new_client(['canpay' => ['base_url' => "http://127.0.0.1:$port/canpay/api/ipg/"]])
        ->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay')));

    $slow = new_client(['http' => ['request_timeout_ms' => 300]]);
    fault('canpay.token', ['latency_ms' => 1500, 'count' => 1]);
    show(fn() => $slow->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay')));
} finally {
    clear_faults();
}
?>
--EXPECT--
Dargah\MalformedResponseException in doubt: true, HTTP 200
Dargah\GatewayUnavailableException in doubt: true, HTTP 503
Dargah\NetworkException in doubt: true, HTTP NULL
Dargah\TimeoutException in doubt: true, HTTP NULL
