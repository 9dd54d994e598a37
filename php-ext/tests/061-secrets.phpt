--TEST--
Nothing secret shown: every credential a canary, every flow, every view of every answer and error searched
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--INI--
zend.exception_ignore_args=0
--FILE--
<?php
require __DIR__ . '/sandbox.inc';

// Made-up canaries for the flows that must fail; the sandbox's own credentials for the rest.
const WRONG = [
    'mupra' => ['api_key' => 'CANARY-mupra-key-4e1f'],
    'canpay' => ['merchant' => 'CANARY-canpay-merchant-93ab'],
    'atipay' => ['apiKey' => 'CANARY-atipay-key-27cd'],
    'vandar' => ['api_key' => 'CANARY-vandar-key-5b60', 'access_token' => 'CANARY-vandar-access-81f2', 'refresh_token' => 'CANARY-vandar-refresh-c4d9'],
    'sepal' => ['password' => 'CANARY-sepal-password-6a7e', 'api_key' => 'CANARY-sepal-key-0d35'],
];
const STORE_PASSWORD = 'CANARY-store-password-f00d';
const PROXY_PASSWORD = 'CANARY-proxy-password-beef';

function secrets_of(array $config): array
{
    $found = [];
    foreach (['mupra', 'canpay', 'atipay', 'vandar', 'sepal'] as $section) {
        foreach (['api_key', 'apiKey', 'merchant', 'access_token', 'refresh_token', 'password'] as $key) {
            if (!empty($config[$section][$key])) {
                $found[] = $config[$section][$key];
            }
        }
    }
    return $found;
}

$outputs = [];
$logged = [];
$logger = function (string $level, string $message, array $context) use (&$logged) {
    $logged[] = $level . ' ' . $message . ' ' . json_encode($context);
};
/* Run one step; keep every view of its answer, or of its exception. */
function attempt(callable $step): mixed
{
    global $outputs;
    ob_start();
    try {
        $answer = $step();
        var_dump($answer);
        print_r($answer);
        return $answer;
    } catch (Throwable $e) {
        echo $e->getMessage(), "\n", (string) $e, "\n", $e->getTraceAsString(), "\n";
        var_dump($e);
        print_r($e);
        var_export($e->getTrace());
        return null;
    } finally {
        $outputs[] = ob_get_clean();
    }
}

// No closure below captures a configuration: var_dump() of a closure (an
// argument in a stack trace) shows what it captured, which is the shop's own doing.
$config = sandbox_config();
$client = attempt(fn() => new Dargah\Client(sandbox_config()));
$client->setLogger($logger);
foreach (GATEWAYS as $gateway) {
    [$payment, $callback] = paid_payment($client, $gateway);
    attempt(fn() => $client->handleCallback($gateway, $callback['get'], $callback['post']));
    attempt(fn() => $client->handleCallback($gateway, $callback['get'], $callback['post']));
    attempt(fn() => $client->events($payment->id));
    [$payment, $callback] = paid_payment($client, $gateway, 'cancel');
    attempt(fn() => $client->handleCallback($gateway, $callback['get'], $callback['post']));
}
foreach (['vandar.balance', 'mupra.balance', 'vandar.settlement_banks'] as $operation) {
    attempt(fn() => $client->call($operation));
}
attempt(fn() => $client->call('sepal.payment_state', ['payment_number' => 1]));

// The gateways failing every way: 401, 5xx, malformed, slow (a timeout), a dropped connection.
$fast = new Dargah\Client(sandbox_config(['http' => ['request_timeout_ms' => 1000]]));
$fast->setLogger($logger);
$faults = [['status' => 401], ['status' => 500], ['status' => 503], ['malformed_json' => true], ['latency_ms' => 2500], ['drop_after_process' => true]];
foreach (GATEWAYS as $gateway) {
    foreach ($faults as $fault) {
        [$payment, $callback] = paid_payment($fast, $gateway);
        fault(VERIFY_ENDPOINT[$gateway] === 'vandar.verify' ? 'vandar.transaction' : VERIFY_ENDPOINT[$gateway], $fault);
        attempt(fn() => $fast->handleCallback($gateway, $callback['get'], $callback['post']));
        clear_faults();
    }
}
attempt(fn() => $fast->recover());
attempt(fn() => $fast->call('reconcile', ['min_age_secs' => 0]));
foreach (['vandar.business', 'mupra.balance', 'sepal.login'] as $endpoint) {
    foreach (array_slice($faults, 0, 4) as $fault) {
        fault($endpoint, $fault);
        attempt(fn() => $fast->call('vandar.balance'));
        attempt(fn() => $fast->call('mupra.balance'));
        attempt(fn() => $fast->call('sepal.payment_state', ['payment_number' => 2]));
        clear_faults();
    }
}

// Wrong keys everywhere.
$wrong = attempt(fn() => new Dargah\Client(array_replace_recursive(sandbox_config(), WRONG)));
$wrong->setLogger($logger);
foreach (GATEWAYS as $gateway) {
    attempt(fn() => $wrong->createPayment($gateway, invoice(), AMOUNT, callback_url($gateway), '09123456789'));
}
foreach (['vandar.balance', 'mupra.balance', 'vandar.settlements'] as $operation) {
    attempt(fn() => $wrong->call($operation));
}
attempt(fn() => $wrong->call('sepal.payment_state', ['payment_number' => 1]));

// A mistyped secret; a secret in the wrong parameter; the store's password; the proxy's credentials.
attempt(fn() => new Dargah\Client(array_replace(sandbox_config(), ['canpay' => ['merchant' => 4242000042420000]])));
attempt(fn() => new Dargah\Client(array_replace_recursive(sandbox_config(), ['vandar' => ['access_token' => [WRONG['vandar']['access_token']]]])));
attempt(fn() => $client->call('payments.list', ['limit' => WRONG['mupra']['api_key']]));
attempt(fn() => $client->call('vandar.call', ['endpoint' => WRONG['vandar']['api_key']]));
foreach (['postgres://shop:%s@127.0.0.1:9/shop', 'mysql://shop:%s@127.0.0.1:9/shop', 'postgres://shop:%s@[bad/shop', 'mysql://shop@127.0.0.1:9/shop?password=%s'] as $url) {
    attempt(fn() => new Dargah\Client(array_replace(sandbox_config(), ['store' => sprintf($url, STORE_PASSWORD)])));
}
$proxied = new Dargah\Client(array_replace(sandbox_config(), ['store' => test_store(), 'http' => ['proxy' => 'http://canary-user:' . PROXY_PASSWORD . '@127.0.0.1:9']]));
$proxied->setLogger($logger);
$outputs[] = print_r($proxied, true) . var_export($proxied, true);
foreach (GATEWAYS as $gateway) {
    attempt(fn() => $proxied->createPayment($gateway, invoice(), AMOUNT, callback_url($gateway)));
}
attempt(fn() => new Dargah\Client(array_replace(sandbox_config(), ['http' => ['proxy' => 'ftp://canary-user:' . PROXY_PASSWORD . '@127.0.0.1:9']])));
attempt(fn() => $client);

// Every stored row of every table, the Vandar token pair included (it is stored encrypted).
$dir = getenv('DARGAH_TEST_TMP') ?: sys_get_temp_dir();
foreach (glob("$dir/phpt-*.db") as $db) {
    $tables = explode("\n", trim((string) shell_exec('sqlite3 ' . escapeshellarg($db) . " \"SELECT name FROM sqlite_master WHERE type = 'table'\"")));
    foreach ($tables as $table) {
        $outputs[] = (string) shell_exec('sqlite3 -line ' . escapeshellarg($db) . ' ' . escapeshellarg("SELECT * FROM \"$table\""));
    }
}

$everything = implode("\n", array_merge($outputs, $logged));
$canaries = array_merge(secrets_of($config), secrets_of(WRONG), [STORE_PASSWORD, PROXY_PASSWORD, $config['token_encryption_key']]);
echo count(array_unique($canaries)) === count($canaries) ? "distinct" : "repeated", " canaries: ", count($canaries), "\n";
$leaked = array_values(array_filter($canaries, fn($c) => str_contains($everything, $c)));
echo "shown: ", json_encode($leaked), "\n";
foreach (array_slice($leaked, 0, 1) as $c) {
    foreach (array_merge($outputs, $logged) as $i => $text) {
        if (($at = strpos($text, $c)) !== false) {
            echo "in output $i: ", substr($text, max(0, $at - 600), 700), "\n";
            break;
        }
    }
}
foreach (['GatewayRejectedException', 'GatewayUnavailableException', 'MalformedResponseException', 'StoreException', 'TimeoutException', 'gateway_call', 'state_change', 'SensitiveParameterValue'] as $expected) {
    check(str_contains($everything, $expected), "searched output holds $expected");
}
?>
--EXPECTF--
distinct canaries: %d
shown: []
