<?php
/*
 * Run every minute or two (cron): ask the gateways about payments whose
 * customer never came back to callback.php (reconcile: the only way a
 * customer who paid and closed the tab is found), settle payments left in
 * doubt (a gateway that timed out, a worker that died mid-verify), then
 * credit every paid payment the shop has not acknowledged yet — those, and
 * payments whose request died after "newly paid".
 *
 *   php -d extension=dargah bin/fulfil.php
 */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{credit, dargah, order_by};

// Payments at least two minutes old: their own callback gets the first chance.
dargah()->call('reconcile', ['min_age_secs' => 120]);
$report = dargah()->recover();
foreach ($report['errors'] as $error) {
    fwrite(STDERR, "still in doubt: {$error['payment_id']}: {$error['kind']}: {$error['message']}\n");
}
foreach (dargah()->unacknowledged() as $payment) {
    $order = order_by('payment_id', $payment->id);
    if ($order) {
        credit($order, $payment, 'fulfilment job');
        echo "credited order {$order['invoice_id']}\n";
    } else {
        fwrite(STDERR, "paid payment {$payment->id} ({$payment->invoiceId}) has no order\n");
    }
}
