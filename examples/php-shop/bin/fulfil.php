<?php
/*
 * Run every few minutes (cron): settle payments left in doubt (a gateway that
 * timed out, a worker that died mid-verify) with their gateways, then credit
 * every paid payment the shop has not acknowledged yet — payments whose
 * customer never came back to callback.php, or whose request died after
 * "newly paid".
 *
 *   php -d extension=dargah bin/fulfil.php
 */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{credit, dargah, order_by};

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
