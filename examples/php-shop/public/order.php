<?php
/* An order's page, at an unguessable address: no session needed. */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{db, h, order_by, page, rial};

$order = order_by('reference', (string) ($_GET['ref'] ?? ''));
if (!$order) {
    page('Order', '<p>No such order.</p>', 404);
}
$status = match ($order['status']) {
    'paid' => 'Paid — thank you!',
    'not paid' => 'Not paid. <a href="/">Try again</a>.',
    'needs review' => 'Your payment was received, but it does not match this order\'s amount: we will contact you.',
    default => 'Awaiting payment. If you have paid, we are confirming it.',
};
$history = db()->prepare('SELECT at, event FROM history WHERE order_id = ? ORDER BY id');
$history->execute([$order['id']]);
$events = '';
foreach ($history->fetchAll(PDO::FETCH_ASSOC) as $row) {
    $events .= '<li>' . h($row['at']) . ' UTC: ' . h($row['event']) . "</li>\n";
}
$credits = db()->prepare('SELECT COUNT(*) FROM credits WHERE order_id = ?');
$credits->execute([$order['id']]);
$count = (int) $credits->fetchColumn();
[$invoice, $item, $gateway, $amount] = [h($order['invoice_id']), h($order['item']), h(ucfirst($order['gateway'])), rial((int) $order['amount'])];

page("Order $invoice", <<<HTML
    <h2>Order <span id="invoice">$invoice</span></h2>
    <p>$item, $amount, paid with $gateway.</p>
    <p id="status" data-status="{$order['status']}">$status</p>
    <p>Credited <span id="credits">$count</span> time(s).</p>
    <h3>History</h3>
    <ul id="history">
    {$events}</ul>
    HTML);
