--TEST--
Bad arguments: wrong types, missing and extra arguments, NUL bytes, huge strings; amounts are ints only
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
$url = callback_url('vandar');
$huge = str_repeat('x', 5_000_000);
$cases = [
    // Types: what PHP raises as TypeError, ArgumentCountError and ValueError is a
    // Dargah\InvalidArgumentException (with PHP's error as its previous one).
    'amount as text' => fn() => $client->createPayment('vandar', invoice(), 'a lot', $url),
    'amount as float' => fn() => $client->createPayment('vandar', invoice(), 125000.9, $url),
    'amount as whole float' => fn() => $client->createPayment('vandar', invoice(), 125000.0, $url),
    'amount as true' => fn() => $client->createPayment('vandar', invoice(), true, $url),
    'amount as numeric text' => fn() => $client->createPayment('vandar', invoice(), '125000', $url),
    'amount as null' => fn() => $client->createPayment('vandar', invoice(), null, $url),
    'gateway as array' => fn() => $client->createPayment(['vandar'], invoice(), AMOUNT, $url),
    'config as object' => fn() => new Dargah\Client(new stdClass),
    'vandar options as text' => fn() => $client->createPayment('vandar', invoice(), AMOUNT, $url, vandar: 'x'),
    'params as text' => fn() => $client->call('payments.list', 'limit=3'),
    'query as object' => fn() => $client->handleCallback('vandar', new stdClass),
    'callback value float' => fn() => $client->handleCallback('vandar', ['token' => 1.5]),
    'callback value null' => fn() => $client->handleCallback('vandar', [], ['token' => null]),
    'callback value object' => fn() => $client->handleCallback('vandar', ['token' => new stdClass]),
    'missing arguments' => fn() => $client->createPayment('vandar', invoice()),
    'too many arguments' => fn() => $client->acknowledge('dp_x', 'dp_y'),
    'unknown named argument' => fn() => $client->createPayment('vandar', invoice(), AMOUNT, $url, email: 'a@b.c'),
    // Missing keys in parameters: the core names what is missing.
    'params without id' => fn() => $client->call('payment', []),
    'transfer without key' => fn() => $client->call('mupra.paya_transfer', ['amount' => 1000]),
    'NUL in gateway' => fn() => $client->createPayment("van\0dar", invoice(), AMOUNT, $url),
    'NUL in payment id' => fn() => $client->payment("dp_\0x"),
    'NUL in operation' => fn() => $client->call("payments.list\0"),
    'NUL in config text' => fn() => new Dargah\Client("{\"store\":\"sqlite://x.db\0\"}"),
    'NUL in invoice id' => fn() => $client->createPayment('vandar', "order\0-1", AMOUNT, $url),
    'NUL in callback' => fn() => $client->handleCallback('vandar', "token=a\0b"),
    // Huge strings: refused in a bounded message, quickly.
    'huge invoice id' => fn() => $client->createPayment('vandar', $huge, AMOUNT, $url),
    'huge description' => fn() => $client->createPayment('vandar', invoice(), AMOUNT, $url, description: $huge),
    'huge mobile' => fn() => $client->createPayment('vandar', invoice(), AMOUNT, $url, mobile: $huge),
    'huge gateway' => fn() => $client->createPayment($huge, invoice(), AMOUNT, $url),
    'huge payment id' => fn() => $client->payment($huge),
    'huge operation' => fn() => $client->call($huge),
    'huge callback' => fn() => $client->handleCallback('vandar', ['token' => $huge]),
    'huge raw callback' => fn() => $client->handleCallback('vandar', "token=$huge"),
    'huge config text' => fn() => new Dargah\Client($huge),
    'huge config value' => fn() => new Dargah\Client(['store' => test_store(), 'canpay' => ['merchant' => $huge]]),
    'many parameters' => fn() => $client->call('payments.list', array_fill_keys(range(1, 100000), 1)),
];
$started = microtime(true);
foreach ($cases as $case => $f) {
    $text = thrown($f);
    $what = $text === 'nothing thrown' ? 'accepted' : substr($text, 0, strpos($text, ')') + 1);
    try {
        $f();
    } catch (Throwable $e) {
        $what .= $e->getPrevious() ? ' <- ' . get_class($e->getPrevious()) : '';
    }
    printf("%-24s %s%s\n", $case, $what, strlen($text) > 1300 ? ' MESSAGE TOO LONG' : '');
}
echo "quick: ", var_export(microtime(true) - $started < 60, true), "\n";

// Integer keys ($_GET turns "?5=x" into the key 5) and values are fine.
echo thrown(fn() => $client->handleCallback('vandar', [5 => 'x', 'token' => 7, 'payment_status' => 'OK'])), "\n";

// The wording is PHP's own, naming the argument.
echo thrown(fn() => $client->createPayment('vandar', invoice(), 125000.9, $url)), "\n";
echo thrown(fn() => $client->createPayment("van\0dar", invoice(), AMOUNT, $url)), "\n";
echo thrown(fn() => $client->createPayment('vandar', invoice())), "\n";
// Caught as Dargah\Exception, as a shop catches around every call.
try {
    $client->createPayment('vandar', invoice(), true, $url);
} catch (Dargah\Exception $e) {
    echo 'caught as Dargah\Exception: ', $e->getKind(), "\n";
}

// A client that was never constructed, or constructed twice.
echo thrown(fn() => (new ReflectionClass('Dargah\Client'))->newInstanceWithoutConstructor()), "\n";
echo thrown(fn() => $client->__construct(sandbox_config())), "\n";
?>
--EXPECT--
amount as text           Dargah\InvalidArgumentException (invalid_input, 1)
amount as float          Dargah\InvalidArgumentException (invalid_input, 1)
amount as whole float    Dargah\InvalidArgumentException (invalid_input, 1)
amount as true           Dargah\InvalidArgumentException (invalid_input, 1)
amount as numeric text   Dargah\InvalidArgumentException (invalid_input, 1)
amount as null           Dargah\InvalidArgumentException (invalid_input, 1)
gateway as array         Dargah\InvalidArgumentException (invalid_input, 1) <- TypeError
config as object         Dargah\InvalidArgumentException (invalid_input, 1)
vandar options as text   Dargah\InvalidArgumentException (invalid_input, 1) <- TypeError
params as text           Dargah\InvalidArgumentException (invalid_input, 1) <- TypeError
query as object          Dargah\InvalidArgumentException (invalid_input, 1) <- TypeError
callback value float     Dargah\InvalidArgumentException (invalid_input, 1)
callback value null      Dargah\InvalidArgumentException (invalid_input, 1)
callback value object    Dargah\InvalidArgumentException (invalid_input, 1)
missing arguments        Dargah\InvalidArgumentException (invalid_input, 1) <- ArgumentCountError
too many arguments       Dargah\InvalidArgumentException (invalid_input, 1) <- ArgumentCountError
unknown named argument   Error (Error)
params without id        Dargah\InvalidInputException (invalid_input, 1)
transfer without key     Dargah\InvalidInputException (invalid_input, 1)
NUL in gateway           Dargah\InvalidArgumentException (invalid_input, 1) <- ValueError
NUL in payment id        Dargah\InvalidArgumentException (invalid_input, 1) <- ValueError
NUL in operation         Dargah\InvalidArgumentException (invalid_input, 1) <- ValueError
NUL in config text       Dargah\InvalidArgumentException (invalid_input, 1)
NUL in invoice id        Dargah\InvalidInputException (invalid_input, 1)
NUL in callback          Dargah\InvalidCallbackException (invalid_callback, 5)
huge invoice id          Dargah\InvalidInputException (invalid_input, 1)
huge description         Dargah\InvalidInputException (invalid_input, 1)
huge mobile              Dargah\InvalidInputException (invalid_input, 1)
huge gateway             Dargah\InvalidInputException (invalid_input, 1)
huge payment id          Dargah\UnknownPaymentException (unknown_payment, 3)
huge operation           Dargah\InvalidInputException (invalid_input, 1)
huge callback            Dargah\InvalidCallbackException (invalid_callback, 5)
huge raw callback        Dargah\InvalidCallbackException (invalid_callback, 5)
huge config text         Dargah\ConfigException (config, 2)
huge config value        accepted
many parameters          Dargah\InvalidInputException (invalid_input, 1)
quick: true
Dargah\UnknownPaymentException (unknown_payment, 3): no vandar payment matches this callback
Dargah\InvalidArgumentException (invalid_input, 1): Dargah\Client::createPayment(): Argument #3 ($amount) must be an int (rials), float given
Dargah\InvalidArgumentException (invalid_input, 1): Dargah\Client::createPayment(): Argument #1 ($gateway) must not contain any null bytes
Dargah\InvalidArgumentException (invalid_input, 1): Dargah\Client::createPayment() expects at least 4 arguments, 2 given
caught as Dargah\Exception: invalid_input
ReflectionException (ReflectionException): Class Dargah\Client is an internal class marked as final that cannot be instantiated without invoking its constructor
Error (Error): Dargah\Client is already constructed
