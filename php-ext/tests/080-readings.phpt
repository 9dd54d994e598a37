--TEST--
The sandbox's readings from PHP: a Vandar payment whose unpaid verify would spend the one answer survives a forged OK
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
$payment = $client->createPayment('vandar', invoice(), AMOUNT, callback_url('vandar'), mobile: '09123456789');
// This payment alone reads the document the least convenient way.
$readings = readings(['vandar_unpaid_verify' => 'spends_answer', 'vandar_info_unpaid' => 'invented_codes'], 'vandar', $payment->token);
echo "readings: {$readings['vandar_unpaid_verify']}, {$readings['vandar_info_unpaid']}, {$readings['vandar_info_verified']}\n";
echo "the run's: ", readings([])['vandar_unpaid_verify'], "\n";
// A forged OK before payment: transaction info answers an undocumented code; no verify, nothing closed.
$forged = $client->handleCallback('vandar', ['token' => $payment->token, 'payment_status' => 'OK'], []);
echo "forged OK: {$forged->kind->value}, {$forged->payment->state->value}, verify calls ", verify_calls('vandar', $payment->token), "\n";
$back = pay('vandar', $payment->token);
echo "the customer's callback: ", $client->handleCallback('vandar', $back['get'], $back['post'])->kind->value, "\n";
echo thrown(fn() => readings(['vandar_info_verified' => 'code2'])), "\n";
?>
--EXPECTF--
readings: spends_answer, invented_codes, code1
the run's: unspent
forged OK: in_progress, awaiting, verify calls 0
the customer's callback: newly_paid
RuntimeException (%s): sandbox POST /_control/readings: HTTP 400: %s
