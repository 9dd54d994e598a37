--TEST--
Dargah\Exception: one class per core error kind, with its code, name and in-doubt flag
--EXTENSIONS--
dargah
--FILE--
<?php
$kinds = [
    1 => ['InvalidInputException', 'invalid_input'],
    2 => ['ConfigException', 'config'],
    3 => ['UnknownPaymentException', 'unknown_payment'],
    4 => ['DuplicateInvoiceException', 'duplicate_invoice'],
    5 => ['InvalidCallbackException', 'invalid_callback'],
    6 => ['GatewayRejectedException', 'gateway_rejected'],
    7 => ['MalformedResponseException', 'malformed_response'],
    8 => ['GatewayUnavailableException', 'gateway_unavailable'],
    9 => ['NetworkException', 'network'],
    10 => ['TimeoutException', 'timeout'],
    11 => ['StoreException', 'store'],
    12 => ['UnsupportedException', 'unsupported'],
    13 => ['InternalException', 'internal'],
    14 => ['InDoubtException', 'in_doubt'],
    15 => ['RateLimitedException', 'rate_limited'],
];
$base = new ReflectionClass('Dargah\Exception');
var_dump($base->isAbstract(), $base->getParentClass()->getName());
foreach ($kinds as $code => [$short, $name]) {
    $class = "Dargah\\$short";
    $e = new $class("a $name error", $code);
    printf("%2d %-28s %-20s %s\n", $code, $short, $e->getKind(), $e->isInDoubt() ? 'in doubt' : '-');
    if (!$e instanceof Dargah\Exception || $e->getGatewayCode() !== null || $e->getGatewayMessage() !== null || $e->getHttpStatus() !== null) {
        echo "  wrong defaults\n";
    }
}
// A shop's own subclass keeps its parent's kind.
class ShopTimeout extends Dargah\TimeoutException {}
$e = new ShopTimeout('slow');
var_dump($e->getKind(), $e->isInDoubt());
?>
--EXPECT--
bool(true)
string(16) "RuntimeException"
 1 InvalidInputException        invalid_input        -
 2 ConfigException              config               -
 3 UnknownPaymentException      unknown_payment      -
 4 DuplicateInvoiceException    duplicate_invoice    -
 5 InvalidCallbackException     invalid_callback     -
 6 GatewayRejectedException     gateway_rejected     -
 7 MalformedResponseException   malformed_response   in doubt
 8 GatewayUnavailableException  gateway_unavailable  in doubt
 9 NetworkException             network              in doubt
10 TimeoutException             timeout              in doubt
11 StoreException               store                -
12 UnsupportedException         unsupported          -
13 InternalException            internal             -
14 InDoubtException             in_doubt             in doubt
15 RateLimitedException         rate_limited         -
string(7) "timeout"
bool(true)
