--TEST--
Amount check at crediting: an order edited after the payment was made, a currency switch (same and different rial value), a partial payment; held once, acknowledged once, e-mailed once; acknowledge() and reconcile errors logged, never fatal
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';

$client = Dargah_WC_Config::client();
$gateways = WC()->payment_gateways()->payment_gateways();

/** An order of $total $currency, a payment made for it, then the order changed by $edit before the customer pays. */
function pay_after_edit(string $slug, string $total, string $currency, callable $edit): array
{
    global $client, $gateways;
    $order = make_order("dargah_$slug", $total, $currency);
    $gateways["dargah_$slug"]->process_payment($order->get_id());
    $order = wc_get_order($order->get_id());
    $edit($order);
    $order->save();
    $payment = $client->payment(Dargah_WC_Orders::latest_payment_id($order));
    return [$order, pay_and_call_back($payment)];
}

/** The customer pays the page they were sent to; the callback's outcome. */
function pay_and_call_back(Dargah\Payment $payment): Dargah\Outcome
{
    global $client;
    $callback = pay_at_sandbox($payment);
    parse_str((string) parse_url($callback['url'], PHP_URL_QUERY), $query);
    return $client->handleCallback($payment->gateway, $query, $callback['method'] === 'POST' ? $callback['form'] : []);
}

function mails_about(string $payment_id): int
{
    $log = WP_CONTENT_DIR . '/uploads/test-mails.log';
    return count(array_filter(file_exists($log) ? file($log) : [], fn($line) => str_contains($line, $payment_id)));
}

// ---- the shop edits the pending order from 125,000 to 1,250,000 rial; the customer pays the old page.
[$order, $outcome] = pay_after_edit('vandar', '125000', 'IRR', fn($o) => $o->set_total('1250000'));
$paid = $outcome->payment;
check($outcome->kind === Dargah\OutcomeKind::NewlyPaid && $paid->verifiedAmount === 125000, 'edited total: the gateway verified the 125,000 rial the page asked for');
Dargah_WC_Orders::credit($order, $paid, 'by the gateway callback');
Dargah_WC_Orders::credit(wc_get_order($order->get_id()), $paid, 'by the gateway callback'); // The callback again.
sleep(1);
standin_as_run_queue(); // The reconcile job finds nothing left to credit.
$order = wc_get_order($order->get_id());
check($order->get_status() === 'on-hold' && !$order->is_paid() && $order->get_transaction_id() === '', 'edited total: the order is on hold, not paid');
check(count_notes($order, 'it paid 125,000 IRR (125,000 rial), and the order now costs 1,250,000 IRR') === 1, 'edited total: one note names both amounts with their currencies');
check(count_notes($order, 'payment confirmed') === 1 && count_notes($order, 'Payment via') === 0, "edited total: the payment is noted once, WooCommerce's payment_complete() never ran");
check($client->payment($paid->id)->acknowledgedAt !== null && $client->unacknowledged() === [], 'edited total: acknowledged, so nothing credits it again');
check(mails_about($paid->id) === 1 && Dargah_WC_Review::rows(true)[$paid->id]->order_id == $order->get_id(), 'edited total: on the review queue, e-mailed once');

// ---- the currency moves from IRR to IRT after the payment was made.
[$order, $outcome] = pay_after_edit('mupra', '125000', 'IRR', function ($o) {
    $o->set_currency('IRT');
    $o->set_total('12500');
});
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
$order = wc_get_order($order->get_id());
check($order->get_status() === 'processing' && count_notes($order, 'not credited') === 0, 'IRR to IRT, the same 125,000 rial: credited');
check(Dargah_WC_Orders::payment_currency($order, $outcome->payment->id) === 'IRR', 'the payment remembers the currency it was made in');

[$order, $outcome] = pay_after_edit('canpay', '125000', 'IRR', fn($o) => $o->set_currency('IRT')); // 125,000 toman: 1,250,000 rial.
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
$order = wc_get_order($order->get_id());
check($order->get_status() === 'on-hold' && count_notes($order, 'it paid 125,000 IRR (125,000 rial), and the order now costs 125,000 IRT') === 1, 'IRR to IRT, 1,250,000 rial due now: on hold, both amounts named');

// Toman paid, rial due: the paid amount is shown in the currency the payment was made in.
[$order, $outcome] = pay_after_edit('vandar', '12500', 'IRT', function ($o) {
    $o->set_currency('IRR');
    $o->set_total('130000');
});
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
check(count_notes(wc_get_order($order->get_id()), 'it paid 12,500 IRT (125,000 rial), and the order now costs 130,000 IRR') === 1, 'IRT to IRR, another value: on hold, paid in toman, due in rial');

// ---- a partial payment: 125,000 rial towards an order of 1,250,000.
$order = make_order('dargah_vandar', '1250000');
$partial = $client->createPayment('vandar', Dargah_WC_Orders::new_invoice_id($order), 125000, Dargah_WC_Callback::callback_url('vandar'));
Dargah_WC_Orders::record_payment($order, $partial, 'IRR');
$order->save();
$outcome = pay_and_call_back($partial);
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
$order = wc_get_order($order->get_id());
check($order->get_status() === 'on-hold' && count_notes($order, 'it paid 125,000 IRR (125,000 rial), and the order now costs 1,250,000 IRR') === 1
    && $client->payment($partial->id)->acknowledgedAt !== null, 'a partial payment: on hold with both amounts, acknowledged');

// ---- the whole amount, as asked: credited as before (no review, no mail).
[$order, $outcome] = pay_after_edit('atipay', '125000', 'IRR', fn($o) => null);
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
check(wc_get_order($order->get_id())->get_status() === 'processing' && mails_about($outcome->payment->id) === 0, 'the amount asked: credited, nobody e-mailed');

// ---- two tabs, both paid: the order stays paid; the second payment is a refund to make, on the queue.
$order = make_order('dargah_canpay', '125000');
$gateways['dargah_canpay']->process_payment($order->get_id());
$first = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
$gateways['dargah_canpay']->process_payment($order->get_id());
$second = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
Dargah_WC_Orders::credit($order, pay_and_call_back($first)->payment, 'by the gateway callback');
$outcome = pay_and_call_back($second);
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
$order = wc_get_order($order->get_id());
check($order->get_status() === 'processing' && count_notes($order, 'is a second payment and should be refunded') === 1
    && isset(Dargah_WC_Review::rows(true)[$second->id]) && mails_about($second->id) === 1, 'two tabs both paid: the order stays paid, the second payment noted once, queued, e-mailed once');

// ---- the order was paid another way (by hand) before the customer's Dargah payment came back: a second payment.
[$order, $outcome] = pay_after_edit('canpay', '125000', 'IRR', function ($o) {
    $o->set_status('processing');
    $o->set_date_paid(time()); // As WooCommerce does on the way to a paid status.
});
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
$order = wc_get_order($order->get_id());
check($order->get_status() === 'processing' && count_notes($order, 'is a second payment and should be refunded') === 1
    && isset(Dargah_WC_Review::rows(true)[$outcome->payment->id]), 'an order paid another way: the Dargah payment is a second payment to refund, queued');

// ---- two attempts at once (two tabs): each records its payment on the copy of the order it loaded; neither drops the other's.
$other = make_order('dargah_mupra', '125000', 'IRR');
$gateways['dargah_mupra']->process_payment($other->get_id());
$gateways['dargah_mupra']->process_payment($other->get_id());
$attempts = Dargah_WC_Orders::payment_ids(wc_get_order($other->get_id()));
$order = make_order('dargah_mupra', '125000', 'IRR');
[$tab1, $tab2] = [wc_get_order($order->get_id()), wc_get_order($order->get_id())];
Dargah_WC_Orders::record_payment($tab1, $client->payment($attempts[0]), 'IRR');
Dargah_WC_Orders::record_payment($tab2, $client->payment($attempts[1]), 'IRT');
$order = wc_get_order($order->get_id());
check(Dargah_WC_Orders::payment_ids($order) === $attempts && Dargah_WC_Orders::payment_currency($order, $attempts[0]) === 'IRR'
    && Dargah_WC_Orders::payment_currency($order, $attempts[1]) === 'IRT', 'two attempts recorded from stale copies: both payments and currencies kept');

// ---- the reconcile job goes on past an order it cannot credit (another plugin's hook throws).
[$stuck, $first] = pay_after_edit('vandar', '125000', 'IRR', fn($o) => null);
[$next, $second] = pay_after_edit('mupra', '125000', 'IRR', fn($o) => null);
$throwing = function ($order_id) use ($stuck) {
    if ($order_id === $stuck->get_id()) {
        throw new RuntimeException('another plugin failed');
    }
};
add_action('woocommerce_pre_payment_complete', $throwing);
sleep(1);
standin_as_run_queue();
check(wc_get_order($next->get_id())->is_paid() && !wc_get_order($stuck->get_id())->is_paid()
    && $client->payment($first->payment->id)->acknowledgedAt === null, 'reconcile: the order behind the one that throws is credited; that one waits');
// WooCommerce catches the hook's exception itself (payment_complete() answers false, with a note): nothing is recorded as credited.
check(count_notes(wc_get_order($stuck->get_id()), 'Payment complete event failed. another plugin failed') === 1 && count_notes(wc_get_order($stuck->get_id()), 'payment confirmed') === 0
    && Dargah_WC_Orders::payment_ids(wc_get_order($stuck->get_id())) !== [] && wc_get_order($stuck->get_id())->get_meta('_dargah_credited') === '', "reconcile: WooCommerce's note says why; the payment is not recorded as credited");
remove_action('woocommerce_pre_payment_complete', $throwing);
sleep(1);
standin_as_run_queue();
check(wc_get_order($stuck->get_id())->is_paid() && $client->payment($first->payment->id)->acknowledgedAt !== null && count_notes(wc_get_order($stuck->get_id()), 'payment confirmed') === 1,
    'reconcile: credited on the next run once the hook stops throwing, one note');

// ---- a hook after WooCommerce saved the order paid throws (woocommerce_payment_complete): paid, so credited and acknowledged.
[$late, $outcome] = pay_after_edit('vandar', '125000', 'IRR', fn($o) => null);
$throw_late = function () {
    throw new RuntimeException('a mail plugin failed');
};
add_action('woocommerce_payment_complete', $throw_late);
Dargah_WC_Orders::credit($late, $outcome->payment, 'by the gateway callback');
remove_action('woocommerce_payment_complete', $throw_late);
$late = wc_get_order($late->get_id());
check($late->is_paid() && count_notes($late, 'payment confirmed') === 1 && $client->payment($outcome->payment->id)->acknowledgedAt !== null,
    'a hook failing after the order was saved paid: the order is credited once and the payment acknowledged');

// ---- the store fails after a credit: acknowledge() and the reconcile job log it, nothing is thrown.
[$order, $outcome] = pay_after_edit('mupra', '125000', 'IRR', fn($o) => null);
$log = WP_CONTENT_DIR . '/uploads/wc-logs/dargah.log';
$logged = strlen((string) file_get_contents($log));
// With debug logging off on every gateway: errors are logged all the same.
$debug_was = [];
foreach (array_keys(Dargah_WC_Plugin::GATEWAYS) as $slug) {
    $debug_was[$slug] = get_option("woocommerce_dargah_{$slug}_settings", []);
    update_option("woocommerce_dargah_{$slug}_settings", ['debug' => 'no'] + $debug_was[$slug]);
}
$store_down = fn($config) => ['store' => 'mysql://dargah:dargah@127.0.0.1:1/down'] + $config;
add_filter('dargah_wc_config', $store_down);
Dargah_WC_Config::reset();
try {
    Dargah_WC_Orders::credit($order, $outcome->payment, 'by the gateway callback');
    Dargah_WC_Orders::reconcile();
    $thrown = 'nothing';
} catch (Throwable $e) {
    $thrown = get_class($e);
}
$new_log = substr((string) file_get_contents($log), $logged);
check($thrown === 'nothing' && wc_get_order($order->get_id())->get_status() === 'processing', "the store down after a credit: the order credited, nothing thrown ($thrown)");
check(str_contains($new_log, "payment {$outcome->payment->id}: acknowledge failed") && str_contains($new_log, 'reconcile failed: store')
    && str_contains($new_log, 'crediting paid payments failed: store'), 'acknowledge() and the reconcile job logged the errors, with debug logging off');
remove_filter('dargah_wc_config', $store_down);
foreach ($debug_was as $slug => $settings) {
    update_option("woocommerce_dargah_{$slug}_settings", $settings);
}
Dargah_WC_Config::reset();
check($client->payment($outcome->payment->id)->acknowledgedAt === null, 'the payment is not acknowledged yet');
sleep(1);
standin_as_run_queue();
$order = wc_get_order($order->get_id());
check($client->payment($outcome->payment->id)->acknowledgedAt !== null && count_notes($order, 'payment confirmed') === 1 && count_notes($order, 'Payment via') === 1,
    'the store back, the job acknowledges it without crediting again');
?>
--EXPECT--
ok - edited total: the gateway verified the 125,000 rial the page asked for
ok - edited total: the order is on hold, not paid
ok - edited total: one note names both amounts with their currencies
ok - edited total: the payment is noted once, WooCommerce's payment_complete() never ran
ok - edited total: acknowledged, so nothing credits it again
ok - edited total: on the review queue, e-mailed once
ok - IRR to IRT, the same 125,000 rial: credited
ok - the payment remembers the currency it was made in
ok - IRR to IRT, 1,250,000 rial due now: on hold, both amounts named
ok - IRT to IRR, another value: on hold, paid in toman, due in rial
ok - a partial payment: on hold with both amounts, acknowledged
ok - the amount asked: credited, nobody e-mailed
ok - two tabs both paid: the order stays paid, the second payment noted once, queued, e-mailed once
ok - an order paid another way: the Dargah payment is a second payment to refund, queued
ok - two attempts recorded from stale copies: both payments and currencies kept
ok - reconcile: the order behind the one that throws is credited; that one waits
ok - reconcile: WooCommerce's note says why; the payment is not recorded as credited
ok - reconcile: credited on the next run once the hook stops throwing, one note
ok - a hook failing after the order was saved paid: the order is credited once and the payment acknowledged
ok - the store down after a credit: the order credited, nothing thrown (nothing)
ok - acknowledge() and the reconcile job logged the errors, with debug logging off
ok - the payment is not acknowledged yet
ok - the store back, the job acknowledges it without crediting again
