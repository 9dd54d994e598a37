--TEST--
setLogger(): the audit trail to a callable or a PSR-3 logger, on the PHP thread; events()
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';

// With no logger nothing is collected and nothing printed, failures included.
$quiet = new_client();
[$payment, $callback] = paid_payment($quiet, 'canpay');
fault('canpay.verify', ['status' => 503, 'count' => 1]);
echo thrown(fn() => $quiet->handleCallback('canpay', $callback['get'], $callback['post'])), "\n";
clear_faults();

// A callable: (level, message, context).
$client = new_client();
$seen = [];
$client->setLogger(function (string $level, string $message, array $context) use (&$seen) {
    $seen[] = [$level, $message, $context];
});
[$payment, $callback] = paid_payment($client, 'vandar');
$outcome = $client->handleCallback('vandar', $callback['get'], $callback['post']);
echo $outcome->kind->value, "\n";
foreach ($seen as [$level, $message, $context]) {
    if ($context['event'] === 'gateway_call') {
        printf("%s %s %s %s %d %s same payment: %s\n", $level, $context['event'], $context['gateway'], $context['operation'],
            $context['http_status'], $context['outcome'], var_export($context['payment_id'] === $payment->id, true));
    } else {
        printf("%s %s %s\n", $level, $context['event'], ($context['from'] ?? '') . '->' . ($context['to'] ?? ''));
    }
}
check(str_starts_with($seen[0][1], 'gateway_call '), 'the message is one line starting with the event');
check(is_int($seen[0][2]['duration_ms']), 'duration_ms is a number');

// A PSR-3 logger object, and a failure: the exception is still the call's.
final class Psr3
{
    public array $lines = [];
    public function log($level, string|Stringable $message, array $context = []): void
    {
        $this->lines[] = "$level {$context['event']}";
    }
}
$psr = new Psr3();
$client->setLogger($psr);
[$payment, $callback] = paid_payment($client, 'mupra');
fault('mupra.verify', ['status' => 500, 'count' => 1]);
echo thrown(fn() => $client->handleCallback('mupra', $callback['get'], $callback['post'])), "\n";
clear_faults();
echo implode("\n", $psr->lines), "\n";

// A logger that throws (a full disk, a dead syslog) takes nothing: the call's
// exception stays the one thrown, and the logger's failure is an E_WARNING.
$client->setLogger(function () { throw new LogicException('logger broke'); });
fault('mupra.verify', ['status' => 500, 'count' => 1]);
echo thrown(fn() => $client->handleCallback('mupra', $callback['get'], $callback['post'])), "\n";
clear_faults();
// ...and a newly paid outcome is returned, told once: the next callback says already_paid.
[$payment, $callback] = paid_payment($client, 'vandar');
$outcome = $client->handleCallback('vandar', $callback['get'], $callback['post']);
echo 'returned: ', $outcome->kind->value, "\n";
echo 'again: ', $client->handleCallback('vandar', $callback['get'], $callback['post'])->kind->value, "\n";
// An error handler that turns warnings into exceptions (as frameworks do) sees
// the warning, and the outcome is still returned.
set_error_handler(function (int $level, string $message) {
    echo 'handler saw: ', $level === E_WARNING ? 'E_WARNING' : $level, "\n";
    throw new ErrorException($message, 0, $level);
});
[$payment, $callback] = paid_payment($client, 'canpay');
echo 'returned under the handler: ', $client->handleCallback('canpay', $callback['get'], $callback['post'])->kind->value, "\n";
restore_error_handler();
clear_faults();
$client->setLogger(null);
echo thrown(fn() => $client->setLogger(42)), "\n";

// events(): what happened to the order, redacted.
[$payment, $callback] = paid_payment($client, 'vandar');
$client->handleCallback('vandar', $callback['get'], $callback['post']);
foreach ($client->events($payment->id) as $event) {
    $body = $event['raw']['verify']['body'];
    echo $event['label'], ' ', $body['cardNumber'], ' CID kept: ', var_export(isset($body['CID']), true), "\n";
}
echo thrown(fn() => $client->events('dp_nope')), "\n";
?>
--EXPECTF--
Dargah\GatewayUnavailableException (gateway_unavailable, 8): canpay verify: the gateway answered HTTP 503%s
newly_paid
info gateway_call vandar POST /vandar/ipg/api/v4/send 200 ok same payment: true
info state_change created->awaiting
debug claim ->
info gateway_call vandar POST /vandar/ipg/api/v4/transaction 200 ok same payment: true
info gateway_call vandar POST /vandar/ipg/api/v4/verify 200 ok same payment: true
info state_change verifying->paid
Dargah\GatewayUnavailableException (gateway_unavailable, 8): mupra verify: the gateway answered HTTP 500%s
info gateway_call
info state_change
debug claim
warning gateway_call
info state_change

Warning: Dargah\Client::handleCallback(): the Dargah\Client logger threw LogicException: logger broke; 2 audit event(s) of this call were not logged, its result stands in %s on line %d
Dargah\GatewayUnavailableException (gateway_unavailable, 8): mupra verify: the gateway answered HTTP 500; payment %s is in doubt and recover() will resolve it

Warning: Dargah\Client::createPayment(): the Dargah\Client logger threw LogicException: logger broke; 1 audit event(s) of this call were not logged, its result stands in %s on line %d

Warning: Dargah\Client::handleCallback(): the Dargah\Client logger threw LogicException: logger broke; %d audit event(s) of this call were not logged, its result stands in %s on line %d
returned: newly_paid
again: already_paid
handler saw: E_WARNING
returned under the handler: handler saw: E_WARNING
newly_paid
Dargah\InvalidArgumentException (invalid_input, 1): Dargah\Client::setLogger(): Argument #1 ($logger) must be a callable, an object with a log() method (PSR-3), or null, int given
paid 603799******7890 CID kept: false
Dargah\UnknownPaymentException (unknown_payment, 3): no payment "dp_nope"
