<?php
/*
 * The application php-fpm serves in tests/php/run-fpm.sh: a shop's checkout
 * and callback, reduced to what the test measures. Every request makes its
 * own Dargah\Client, as a shop does; the extension keeps the libdargah client
 * of the configuration for the worker's life. Each answer is one JSON line
 * with the worker's pid and its connections to the sandbox.
 */
require __DIR__ . '/../../../php-ext/tests/connections.inc';

$config = json_decode(file_get_contents(getenv('DARGAH_SANDBOX_CONFIG')), true, flags: JSON_THROW_ON_ERROR);
$config['store'] = 'sqlite://' . getenv('DARGAH_FPM_STORE');
$client = new Dargah\Client($config);
$sandbox_port = parse_url($config['vandar']['ipg_base_url'], PHP_URL_PORT);

header('Content-Type: application/json');
$answer = ['pid' => getmypid()];
try {
    switch ($_GET['action'] ?? '') {
        case 'checkout':
            $gateway = $_GET['gateway'];
            $callback = "http://localhost/app.php?action=callback&gateway=$gateway";
            $payment = $client->createPayment($gateway, $_GET['order'], 1250000, $callback, mobile: '09123456789');
            $answer += ['id' => $payment->id, 'token' => $payment->token];
            break;
        case 'callback':
            $outcome = $client->handleCallback($_GET['gateway'], $_GET, $_POST);
            if ($outcome->isNewlyPaid()) {
                $client->acknowledge($outcome->payment->id); // the shop credits the order here
            }
            $answer += ['kind' => $outcome->kind->value];
            break;
        case 'balance': // one gateway call
            $answer += ['balance' => $client->call('mupra.balance')['balance']];
            break;
        default:
            http_response_code(404);
    }
} catch (Dargah\Exception $e) {
    http_response_code($e->isInDoubt() ? 503 : 400);
    $answer += ['error' => get_class($e), 'message' => $e->getMessage()];
}
$answer['connections'] = connections_to($sandbox_port);
echo json_encode($answer), "\n";
