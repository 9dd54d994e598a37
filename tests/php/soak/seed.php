<?php
// seed.php CONFIG_PHP SANDBOX_URL N: N Vandar payments paid at the sandbox; prints
// "<callback query>\t<payment id>" for each.
[$config, $sandbox, $n] = [$argv[1], $argv[2], (int) $argv[3]];
$client = new Dargah\Client(require $config);
for ($i = 0; $i < $n; $i++) {
    $p = $client->createPayment('vandar', 'soak-' . bin2hex(random_bytes(6)), 125000, 'http://127.0.0.1/callback.php');
    $ctx = stream_context_create(['http' => ['method' => 'POST', 'header' => "Content-Type: application/json\r\n",
        'content' => json_encode(['gateway' => 'vandar', 'token' => $p->token, 'action' => 'pay', 'card' => '6037991234567890'])]]);
    $cb = json_decode(file_get_contents("$sandbox/_control/pay", false, $ctx), true);
    echo parse_url($cb['url'], PHP_URL_QUERY), "\t", $p->id, "\n";
}
