--TEST--
call(): reporting and business operations, JSON in and arrays out
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
[$payment, $callback] = paid_payment($client, 'mupra');
$client->handleCallback('mupra', $callback['get']);

var_dump(is_int($client->call('mupra.balance')['balance']));
var_dump($client->call('capabilities', ['gateway' => 'vandar'])['once_only_verify']);
echo count($client->call('payments.list', [])), " ", $client->call('payment', ['id' => $payment->id])['state'], "\n";
$state = $client->call('sepal.payment_state', ['payment_number' => 1755366969864145]);
echo gettype($state), " ", implode(',', array_keys($state)), "\n";
echo gettype($client->call('vandar.balance')), "\n";
echo count($client->call('vandar.endpoints')) >= 100 ? "many endpoints\n" : "few endpoints\n";

// Reconciliation: payments whose customer never came back.
$abandoned = $client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'));
pay('canpay', $abandoned->token); // paid, but the browser never returns
$report = $client->call('reconcile', ['min_age_secs' => 0]);
echo "reconcile paid: ", $report['paid'], "\n";
echo $client->payment($abandoned->id)->state->value, "\n";

// A nested empty map is an object, not PHP's empty array (a JSON list).
echo thrown(fn() => $client->call('vandar.transactions', ['query' => []])), "\n";
echo gettype($client->call('vandar.transactions', ['query' => new stdClass])), "\n";
echo gettype($client->call('vandar.transactions', null)), "\n";
?>
--EXPECTF--
bool(true)
bool(true)
1 paid
array payment_number,state,state_label,successful
array
many endpoints
reconcile paid: 1
paid
Dargah\InvalidInputException (invalid_input, 1): vandar.transactions: invalid type: sequence, expected a map%S
array
array
