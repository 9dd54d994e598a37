--TEST--
Two merchant accounts at every gateway: each payment keeps its account and is verified with that account's credentials; a callback at another account's URL is refused
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/sandbox.inc';

/* The sandbox's second merchant account (sandbox/README.md), under each gateway as "branch2". */
const BRANCH2 = [
    'mupra' => ['api_key' => 'sandbox-mupra-api-key-2'],
    'canpay' => ['merchant' => 'sandbox-canpay-merchant-2'],
    'atipay' => ['apiKey' => 'sandbox-atipay-api-key-2', 'terminalId' => '87654321'],
    'vandar' => ['api_key' => 'sandbox-vandar-ipg-api-key-2', 'access_token' => 'sandbox-vandar-access-token-2',
                 'refresh_token' => 'sandbox-vandar-refresh-token-2', 'business' => 'sandbox-shop-2'],
];
const CREDENTIAL = [
    'mupra' => ['sandbox-mupra-api-key', 'sandbox-mupra-api-key-2'],
    'canpay' => ['sandbox-canpay-merchant', 'sandbox-canpay-merchant-2'],
    'atipay' => ['sandbox-atipay-api-key', 'sandbox-atipay-api-key-2'],
    'vandar' => ['sandbox-vandar-ipg-api-key', 'sandbox-vandar-ipg-api-key-2'],
];

$config = sandbox_config();
foreach (BRANCH2 as $gateway => $credentials) {
    $account = $credentials;
    foreach ($config[$gateway] as $key => $value) {
        if (str_ends_with($key, 'base_url')) {
            $account[$key] = $value;
        }
    }
    $config[$gateway]['accounts'] = ['branch2' => $account];
}
$client = new Dargah\Client($config);

function verifies_with(string $credential, string $gateway): int
{
    return stats()['by_credential'][$credential][VERIFY_ENDPOINT[$gateway]] ?? 0;
}

foreach (GATEWAYS as $gateway) {
    $before = [verifies_with(CREDENTIAL[$gateway][0], $gateway), verifies_with(CREDENTIAL[$gateway][1], $gateway)];
    $a = $client->createPayment($gateway, invoice(), AMOUNT, callback_url($gateway), mobile: '09123456789');
    $b = $client->createPayment($gateway, invoice(), AMOUNT, callback_url($gateway), mobile: '09123456789', account: 'branch2');
    $callbackB = pay($gateway, $b->token);
    $callbackA = pay($gateway, $a->token);
    echo "$gateway: {$a->account} {$b->account}\n";
    // B's callback at A's (the default account's) callback URL: refused before any gateway call.
    echo '  at the wrong URL: ', thrown(fn () => $client->handleCallback($gateway, $callbackB['get'], $callbackB['post'], 'default')), "\n";
    check(verify_calls($gateway, $b->token) === 0, "$gateway: no verify for a refused callback");
    $outcomeB = $client->handleCallback($gateway, $callbackB['get'], $callbackB['post'], 'branch2');
    $outcomeA = $client->handleCallback($gateway, $callbackA['get'], $callbackA['post']);
    echo "  B: {$outcomeB->kind->value} ({$outcomeB->payment->account}), A: {$outcomeA->kind->value} ({$outcomeA->payment->account})\n";
    $after = [verifies_with(CREDENTIAL[$gateway][0], $gateway), verifies_with(CREDENTIAL[$gateway][1], $gateway)];
    echo '  verifies with each account\'s own credentials: ', $after[0] - $before[0], ' + ', $after[1] - $before[1], "\n";
}
// The business API per account through call(); an unknown account never echoes the name.
echo 'branch2 wallet: ', is_int($client->call('vandar.balance', ['account' => 'branch2'])['data']['wallet']) ? 'yes' : 'no', "\n";
$unknown = thrown(fn () => $client->call('vandar.balance', ['account' => 'nosuch']));
echo str_contains($unknown, 'nosuch') ? "echoed\n" : "not echoed\n";
echo explode(':', $unknown)[0], "\n";
?>
--EXPECT--
mupra: default branch2
  at the wrong URL: Dargah\InvalidCallbackException (invalid_callback, 5): this callback's payment belongs to another merchant account; it stays open
  B: newly_paid (branch2), A: newly_paid (default)
  verifies with each account's own credentials: 1 + 1
canpay: default branch2
  at the wrong URL: Dargah\InvalidCallbackException (invalid_callback, 5): this callback's payment belongs to another merchant account; it stays open
  B: newly_paid (branch2), A: newly_paid (default)
  verifies with each account's own credentials: 1 + 1
atipay: default branch2
  at the wrong URL: Dargah\InvalidCallbackException (invalid_callback, 5): this callback's payment belongs to another merchant account; it stays open
  B: newly_paid (branch2), A: newly_paid (default)
  verifies with each account's own credentials: 1 + 1
vandar: default branch2
  at the wrong URL: Dargah\InvalidCallbackException (invalid_callback, 5): this callback's payment belongs to another merchant account; it stays open
  B: newly_paid (branch2), A: newly_paid (default)
  verifies with each account's own credentials: 1 + 1
branch2 wallet: yes
not echoed
Dargah\ConfigException (config, 2)
