--TEST--
Payment, Redirect and Outcome are read-only snapshots; a Client cannot be cloned or serialized; nothing secret is dumped
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';
$config = sandbox_config();
$client = new Dargah\Client($config);
$payment = $client->createPayment('atipay', invoice(), AMOUNT, callback_url('atipay'), mobile: '09123456789');
$callback = pay('atipay', $payment->token);
$outcome = $client->handleCallback('atipay', $callback['get'], $callback['post']);

foreach ([
    'new Payment' => fn() => new Dargah\Payment(),
    'new Outcome' => fn() => new Dargah\Outcome(),
    'new Redirect' => fn() => new Dargah\Redirect(),
    'write amount' => function () use ($payment) { $payment->amount = 1; },
    'write kind' => function () use ($outcome) { $outcome->kind = Dargah\OutcomeKind::NewlyPaid; },
    'write fields' => function () use ($payment) { $payment->redirect->fields['x'] = 'y'; },
    'dynamic property' => function () use ($payment) { $payment->extra = 1; },
    'unset property' => function () use ($payment) { unset($payment->state); },
    'clone client' => fn() => clone $client,
    'serialize client' => fn() => serialize($client),
] as $case => $f) {
    printf("%-17s %s\n", $case, thrown($f));
}

// Snapshots may be cloned and compared.
var_dump(clone $payment == $payment);

// AtiPay's POST form: its fields in order, and the page that submits it.
$redirect = $payment->redirect;
echo $redirect->method, " ", implode(',', array_keys($redirect->fields)), "\n";
var_dump($redirect->fields['token'] === $payment->token, str_contains($redirect->html, 'name="token"'));

// What var_dump and print_r show: never a credential or a card number.
ob_start();
var_dump($client, $payment, $outcome);
print_r($outcome);
$dumped = ob_get_clean();
$secrets = [$config['atipay']['apiKey'], $config['vandar']['api_key'], $config['vandar']['access_token'], CARD];
echo "secrets shown: ", count(array_filter($secrets, fn($s) => str_contains($dumped, $s))), "\n";
var_dump($client);
echo implode(' ', array_keys(get_object_vars($outcome->payment))), "\n";
echo get_class($outcome->payment->createdAt), " ", $outcome->payment->createdAt->getTimezone()->getName(), "\n";
?>
--EXPECTF--
new Payment       Error (Error): Call to private Dargah\Payment::__construct() from global scope
new Outcome       Error (Error): Call to private Dargah\Outcome::__construct() from global scope
new Redirect      Error (Error): Call to private Dargah\Redirect::__construct() from global scope
write amount      Error (Error): Cannot modify readonly property Dargah\Payment::$amount
write kind        Error (Error): Cannot modify readonly property Dargah\Outcome::$kind
write fields      Error (Error): Cannot modify readonly property Dargah\Redirect::$fields
dynamic property  Error (Error): Cannot create dynamic property Dargah\Payment::$extra
unset property    Error (Error): Cannot unset readonly property Dargah\Payment::$state
clone client      Error (Error): Trying to clone an uncloneable object of class Dargah\Client
serialize client  Exception (Exception): Serialization of 'Dargah\Client' is not allowed
bool(true)
POST token
bool(true)
bool(true)
secrets shown: 0
object(Dargah\Client)#%d (0) {
}
id gateway account invoiceId amount verifiedAmount callbackUrl state token reference traceNumber unverifiedTraceNumber maskedCard note createdAt updatedAt deadlineAt paidAt acknowledgedAt redirect
DateTimeImmutable +00:00
