--TEST--
UnknownPaymentException (costs no gateway call) and DuplicateInvoiceException
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
echo thrown(fn() => $client->payment('dp_nope')), "\n";
echo thrown(fn() => $client->acknowledge('dp_nope')), "\n";
echo thrown(fn() => $client->call('payment', ['id' => 'dp_nope'])), "\n";
$before = stats()['calls']['vandar.transaction'] ?? 0;
echo thrown(fn() => $client->handleCallback('vandar', ['token' => 'forged-token', 'payment_status' => 'OK'])), "\n";
echo "vandar.transaction calls: +", (stats()['calls']['vandar.transaction'] ?? 0) - $before, "\n";

$order = invoice();
$client->createPayment('canpay', $order, AMOUNT, callback_url('canpay'));
echo thrown(fn() => $client->createPayment('canpay', $order, AMOUNT, callback_url('canpay'))), "\n";
// The same order id at another gateway is another payment.
echo get_class($client->createPayment('vandar', $order, AMOUNT, callback_url('vandar'))), "\n";
?>
--EXPECTF--
Dargah\UnknownPaymentException (unknown_payment, 3): %Sdp_nope%S
Dargah\UnknownPaymentException (unknown_payment, 3): %Sdp_nope%S
Dargah\UnknownPaymentException (unknown_payment, 3): %Sdp_nope%S
Dargah\UnknownPaymentException (unknown_payment, 3): no vandar payment matches this callback
vandar.transaction calls: +0
Dargah\DuplicateInvoiceException (duplicate_invoice, 4): %s
Dargah\Payment
