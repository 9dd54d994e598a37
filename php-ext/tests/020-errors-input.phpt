--TEST--
InvalidInputException: bad values are refused before anything is sent
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$client = new_client();
$before = stats()['calls'];
$create = fn(array $change) => fn() => $client->createPayment(...array_merge(
    ['gateway' => 'vandar', 'invoiceId' => invoice(), 'amount' => AMOUNT, 'callbackUrl' => callback_url('vandar')], $change));
foreach ([
    'zero amount' => $create(['amount' => 0]),
    'negative amount' => $create(['amount' => -1]),
    'mobile' => $create(['mobile' => '9123']),
    'callback URL' => $create(['callbackUrl' => 'ftp://shop.example/cb']),
    'invoice id' => $create(['invoiceId' => 'no spaces allowed']),
    'national code' => $create(['vandar' => ['national_code' => '0499370898']]),
    'unknown Vandar option' => $create(['vandar' => ['colour' => 'blue']]),
    'gateway' => $create(['gateway' => 'paypal']),
    'gateway not UTF-8' => $create(['gateway' => "\xff"]),
    'invoice id not UTF-8' => $create(['invoiceId' => "\xff\xfe"]),
    'operation' => fn() => $client->call('no.such.operation'),
    'parameter' => fn() => $client->call('payments.list', ['limt' => 3]),
    'state' => fn() => $client->payments('bogus'),
    'limit' => fn() => $client->unacknowledged(-1),
    'not paid' => fn() => $client->acknowledge($client->createPayment('canpay', invoice(), AMOUNT, callback_url('canpay'))->id),
] as $case => $f) {
    echo str_pad($case, 22), thrown($f), "\n";
}
$after = stats()['calls'];
echo "gateway calls: canpay.token +", ($after['canpay.token'] ?? 0) - ($before['canpay.token'] ?? 0),
    ", vandar.send +", ($after['vandar.send'] ?? 0) - ($before['vandar.send'] ?? 0), "\n";
?>
--EXPECTF--
zero amount           Dargah\InvalidInputException (invalid_input, 1): amount must be a positive number of rial
negative amount       Dargah\InvalidInputException (invalid_input, 1): amount must be a positive number of rial
mobile                Dargah\InvalidInputException (invalid_input, 1): mobile must be 11 digits starting with 09, e.g. 09123456789
callback URL          Dargah\InvalidInputException (invalid_input, 1): callback_url must be an https URL, not ftp:
invoice id            Dargah\InvalidInputException (invalid_input, 1): invoice_id may contain only ASCII letters, digits, '-' and '_'
national code         Dargah\InvalidInputException (invalid_input, 1): national_code has a wrong check digit
unknown Vandar option Dargah\InvalidInputException (invalid_input, 1): %scolour%s
gateway               Dargah\InvalidInputException (invalid_input, 1): unknown gateway "paypal"; expected mupra, canpay, atipay or vandar
gateway not UTF-8     Dargah\InvalidInputException (invalid_input, 1): gateway is not valid UTF-8%s
invoice id not UTF-8  Dargah\InvalidInputException (invalid_input, 1): request: malformed UTF-8 in a string
operation             Dargah\InvalidInputException (invalid_input, 1): unknown operation "no.such.operation"; known: %s
parameter             Dargah\InvalidInputException (invalid_input, 1): payments.list: unknown field `limt`%s
state                 Dargah\InvalidInputException (invalid_input, 1): %sbogus%s
limit                 Dargah\InvalidInputException (invalid_input, 1): unacknowledged: invalid value: integer (value hidden)%s
not paid              Dargah\InvalidInputException (invalid_input, 1): %s
gateway calls: canpay.token +1, vandar.send +0
