<?php
/* Make the order and its payment, then send the customer to the gateway. */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{db, dargah, note, page, redirect, start_session};

start_session();
if ($_SERVER['REQUEST_METHOD'] !== 'POST' || !hash_equals($_SESSION['csrf'] ?? '', (string) ($_POST['csrf'] ?? ''))) {
    page('Checkout', '<p>Please start from <a href="/">the shop</a>.</p>', 400);
}
$item = (string) ($_POST['item'] ?? '');
$gateway = (string) ($_POST['gateway'] ?? '');
if (!isset(Shop\CATALOG[$item]) || !in_array($gateway, Shop\GATEWAYS, true)) {
    page('Checkout', '<p>Please choose an item and a way to pay.</p>', 400);
}
[$name, $amount] = Shop\CATALOG[$item];

$reference = bin2hex(random_bytes(16));
$invoice = 'order-' . bin2hex(random_bytes(6));
db()->prepare('INSERT INTO orders (reference, invoice_id, item, amount, gateway) VALUES (?, ?, ?, ?, ?)')
    ->execute([$reference, $invoice, $name, $amount, $gateway]);
$order = Shop\order_by('reference', $reference);
$_SESSION['orders'][] = $reference;

$callback = Shop\base_url() . "/callback.php?gateway=$gateway";
try {
    $payment = dargah()->createPayment($gateway, $invoice, $amount, $callback,
        mobile: (string) ($_POST['mobile'] ?? '') ?: null, description: $name);
} catch (Dargah\InvalidInputException $e) {
    db()->prepare("UPDATE orders SET status = 'not paid' WHERE id = ?")->execute([$order['id']]);
    page('Checkout', '<p>Please check your details: ' . Shop\h($e->getMessage()) . '</p>', 400);
} catch (Dargah\Exception $e) {
    error_log("order {$order['id']}: cannot create the $gateway payment: " . get_class($e) . ': ' . $e->getMessage());
    db()->prepare("UPDATE orders SET status = 'not paid' WHERE id = ?")->execute([$order['id']]);
    page('Checkout', '<p>The payment gateway could not be reached. Please try again.</p>', 502);
}
db()->prepare('UPDATE orders SET payment_id = ? WHERE id = ?')->execute([$payment->id, $order['id']]);
note((int) $order['id'], "sent to $gateway");

if ($payment->redirect->isPost()) {
    echo $payment->redirect->html; // AtiPay: a page whose form submits itself to the gateway
    exit;
}
redirect($payment->redirect->url);
