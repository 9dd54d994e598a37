--TEST--
InvalidCallbackException: conflicting, oversized, not UTF-8, nested, for another payment or gateway; no verify
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
[$payment, $callback] = paid_payment($client, 'vandar');
$get = $callback['get'];
$other = $get['payment_status'] === 'OK' ? 'FAILED' : 'OK';
[$second] = paid_payment($client, 'vandar');
foreach ([
    'conflicting' => fn() => $client->handleCallback('vandar', $get, ['payment_status' => $other]),
    'conflicting raw' => fn() => $client->handleCallback('vandar', $callback['query'] . "&payment_status=$other"),
    'over 64 KiB' => fn() => $client->handleCallback('vandar', $get, ['padding' => str_repeat('x', 70000)]),
    'not UTF-8' => fn() => $client->handleCallback('vandar', 'token=%ff%fe'),
    'not UTF-8 array' => fn() => $client->handleCallback('vandar', ['token' => "\xff"]),
    'nested field' => fn() => $client->handleCallback('vandar', ['token' => [$payment->token]]),
    'another payment' => fn() => $client->handleCallback('vandar', ['token' => $second->token] + $get),
    'another gateway' => fn() => $client->handleCallback('mupra', ['dargah_ref' => $payment->id, 'token' => $payment->token, 'status' => 'OK']),
] as $case => $f) {
    $text = thrown($f);
    echo str_pad($case, 16), str_starts_with($text, 'Dargah\InvalidCallbackException (invalid_callback, 5): ') ? 'InvalidCallbackException' : $text, "\n";
}
echo "verify calls: ", verify_calls('vandar', $payment->token), "\n";
// The real callback still works.
echo $client->handleCallback('vandar', $get)->kind->name, "\n";
?>
--EXPECT--
conflicting     InvalidCallbackException
conflicting raw InvalidCallbackException
over 64 KiB     InvalidCallbackException
not UTF-8       InvalidCallbackException
not UTF-8 array InvalidCallbackException
nested field    InvalidCallbackException
another payment InvalidCallbackException
another gateway InvalidCallbackException
verify calls: 0
NewlyPaid
