--TEST--
A configuration from a `require`d file under opcache (an immutable array in shared memory) is never written to
--DESCRIPTION--
Issue 25: PHP-FPM workers aborted with "zend_mm_heap corrupted" and then threw "config: a value contains
itself", because the extension counted references on the caller's immutable config array, which lives in
opcache's shared memory: four workers' unlocked counts corrupted it for all of them. With
opcache.protect_memory=1 that shared memory is read-only, so any write to it is a SIGSEGV here, at once.
--EXTENSIONS--
dargah
opcache
--INI--
opcache.enable=1
opcache.enable_cli=1
opcache.protect_memory=1
opcache.file_update_protection=0
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';

// The configuration file as docs/php.md shows it, and the options of a payment, both `require`d.
$dir = (getenv('DARGAH_TEST_TMP') ?: sys_get_temp_dir()) . '/' . uniqid('immutable-', true);
mkdir($dir);
file_put_contents("$dir/config.php", '<?php return ' . var_export(sandbox_config(), true) . ';');
file_put_contents("$dir/options.php", '<?php return ' . var_export(['comment' => 'order 7', 'port' => 'SAMAN'], true) . ';');
file_put_contents("$dir/params.php", '<?php return ' . var_export(['limit' => 2], true) . ';');
foreach (glob("$dir/*.php") as $file) {
    touch($file, time() - 60); // old enough for opcache to keep it in shared memory
}

for ($request = 0; $request < 3; $request++) {
    $config = require "$dir/config.php";
    $client = new Dargah\Client($config);
    $options = require "$dir/options.php";
    $payment = $client->createPayment('vandar', invoice(), AMOUNT, callback_url('vandar'), vandar: $options);
    $params = require "$dir/params.php";
    $listed = $client->call('payments.list', $params);
    unset($client, $config, $options, $params);
}
echo "cached in shared memory: ", var_export(opcache_is_script_cached("$dir/config.php"), true), "\n";
echo "still readable: ", json_encode((require "$dir/params.php")), "\n";
echo "last payment: ", $payment->state->value, ", listed ", count($listed), "\n";
?>
--EXPECT--
cached in shared memory: true
still readable: {"limit":2}
last payment: awaiting, listed 2
