--TEST--
Loading the extension and making a client start nothing: no thread, no connection
--EXTENSIONS--
dargah
--FILE--
<?php
function threads(): int
{
    return count(glob('/proc/self/task/*'));
}

var_dump(Dargah\VERSION === phpversion('dargah'));
var_dump(preg_match('/^\d+\.\d+\.\d+$/', Dargah\VERSION) === 1);
echo "threads after MINIT: ", threads(), "\n";

$classes = ['Dargah\Client', 'Dargah\Payment', 'Dargah\Redirect', 'Dargah\Outcome'];
foreach ($classes as $class) {
    $r = new ReflectionClass($class);
    echo $class, $r->isFinal() ? ' final' : '', $r->isInternal() ? ' internal' : '', "\n";
}
echo implode(' ', array_map(fn($c) => $c->value, Dargah\OutcomeKind::cases())), "\n";
echo implode(' ', array_map(fn($c) => $c->value, Dargah\PaymentState::cases())), "\n";

// A client opens its store but starts no thread and makes no connection.
$store = sys_get_temp_dir() . '/' . uniqid('dargah-load-') . '.db';
$client = new Dargah\Client(['store' => "sqlite://$store", 'canpay' => ['merchant' => 'm']]);
echo "threads after new Client: ", threads(), "\n";
var_dump(file_exists($store));
var_dump($client->payments());
echo "threads after a store-only call: ", threads(), "\n";
@unlink($store);

ob_start();
phpinfo(INFO_MODULES);
$info = ob_get_clean();
var_dump(str_contains($info, 'libdargah version => ' . Dargah\VERSION));
?>
--EXPECT--
bool(true)
bool(true)
threads after MINIT: 1
Dargah\Client final internal
Dargah\Payment final internal
Dargah\Redirect final internal
Dargah\Outcome final internal
newly_paid already_paid failed cancelled in_progress needs_review
created awaiting verifying in_doubt paid failed cancelled expired needs_review
threads after new Client: 1
bool(true)
array(0) {
}
threads after a store-only call: 1
bool(true)
