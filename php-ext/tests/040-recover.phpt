--TEST--
recover(): a verify whose answer was lost is settled later, credited once through the outbox
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
// CanPay's verify answers the same every time, so a lost answer is asked again.
// (Vandar's answers once: a lost answer there ends in review, see docs/gateway-readings.md.)
[$payment, $callback] = paid_payment($client, 'canpay');
[$second, $second_callback] = paid_payment($client, 'canpay');
try {
    // The answer is lost after the money moved.
    fault('canpay.verify', ['drop_after_process' => true, 'count' => 2]);
    foreach ([[$payment, $callback], [$second, $second_callback]] as [$p, $cb]) {
        try {
            $client->handleCallback('canpay', $cb['get'], $cb['post']);
        } catch (Dargah\Exception $e) {
            echo get_class($e), ", in doubt: ", var_export($e->isInDoubt(), true), ", state: ", $client->payment($p->id)->state->value, "\n";
        }
    }
    var_dump($client->unacknowledged());

    // The second stays in doubt while its gateway is down.
    fault('canpay.verify', ['status' => 503, 'count' => 1]);
    $report = $client->recover();
} finally {
    clear_faults();
}
echo count($report['outcomes']), " settled, ", count($report['errors']), " still in doubt\n";
$settled = $report['outcomes'][0];
$error = $report['errors'][0];
echo get_class($settled), " ", $settled->kind->value, "\n";
echo $error['kind'], " HTTP ", $error['http_status'], "\n";
var_dump([$settled->payment->id, $error['payment_id']] == [$payment->id, $second->id]
    || [$settled->payment->id, $error['payment_id']] == [$second->id, $payment->id]);

$report = $client->recover();
echo count($report['outcomes']), " settled, ", count($report['errors']), " still in doubt\n";
// Each: the lost one and the one that answered; one of them also the refused 503.
$calls = [verify_calls('canpay', $payment->token), verify_calls('canpay', $second->token)];
sort($calls);
echo "verify calls: ", implode(' and ', $calls), "\n";

// A shop that stopped after "newly paid" finds both in the outbox.
$credited = [];
foreach ($client->unacknowledged() as $paid) {
    $credited[] = $paid->id;
    var_dump($client->acknowledge($paid->id));
}
var_dump(count($credited) === 2 && in_array($payment->id, $credited) && in_array($second->id, $credited));
var_dump($client->unacknowledged());
// The browser's callback, retried, is told it is already paid.
echo $client->handleCallback('canpay', $callback['get'], $callback['post'])->kind->value, "\n";
?>
--EXPECT--
Dargah\NetworkException, in doubt: true, state: in_doubt
Dargah\NetworkException, in doubt: true, state: in_doubt
array(0) {
}
1 settled, 1 still in doubt
Dargah\Outcome newly_paid
gateway_unavailable HTTP 503
bool(true)
1 settled, 0 still in doubt
verify calls: 2 and 3
bool(true)
bool(true)
bool(true)
array(0) {
}
already_paid
