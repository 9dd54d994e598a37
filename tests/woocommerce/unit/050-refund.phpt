--TEST--
Refunds: a Vandar order refunds through Vandar's business API, keyed on WooCommerce's refund id; partial refunds and the other gateways are manual
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';

$client = Dargah_WC_Config::client();
$gateways = WC()->payment_gateways()->payment_gateways();

function paid_order(string $slug, string $total = '125000'): WC_Order
{
    global $client, $gateways;
    $order = make_order("dargah_$slug", $total);
    $gateways["dargah_$slug"]->process_payment($order->get_id());
    $payment = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
    $callback = pay_at_sandbox($payment);
    parse_str((string) parse_url($callback['url'], PHP_URL_QUERY), $query);
    $outcome = $client->handleCallback($slug, $query, $callback['method'] === 'POST' ? $callback['form'] : []);
    Dargah_WC_Orders::credit(wc_get_order($order->get_id()), $outcome->payment, 'by the test');
    return wc_get_order($order->get_id());
}

function refund_calls(): int
{
    return sandbox('GET', '/_control/stats')['calls']['vandar.business:POST /api/v3/business/:business/transaction/:transaction_id/refund'] ?? 0;
}

$order = paid_order('vandar');
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id($order));
$before = refund_calls();

// A part only: refused, and WooCommerce deletes its refund.
$partial = wc_create_refund(['order_id' => $order->get_id(), 'amount' => '1000', 'reason' => 'one item', 'refund_payment' => true]);
check(is_wp_error($partial) && str_contains($partial->get_error_message(), 'whole payment only') && wc_get_order($order->get_id())->get_refunds() === [] && refund_calls() === $before, 'a partial refund is refused before any call');

// The whole order: refunded at Vandar, noted, the order refunded.
$refund = wc_create_refund(['order_id' => $order->get_id(), 'amount' => '125000', 'reason' => 'customer asked', 'refund_payment' => true]);
$order = wc_get_order($order->get_id());
$at_sandbox = sandbox('GET', "/_control/payments/vandar/{$payment->token}");
check($refund instanceof WC_Order_Refund && $refund->get_refunded_payment() && $order->get_status() === 'refunded', 'the whole order is refunded');
check($at_sandbox['status'] === 'refunded' && refund_calls() === $before + 1, 'Vandar refunded the transaction, with one call');
check(count_notes($order, "Refunded 125,000 rial through Vandar (transaction {$payment->reference}") === 1 && count_notes($order, 'Reason: customer asked') === 1, 'a note with the transaction and the reason');

// The same WooCommerce refund processed again (a retried request): answered from the store, not sent again.
do_action('woocommerce_create_refund', $refund, []);
check($gateways['dargah_vandar']->process_refund($order->get_id(), '125000', 'again') === true && refund_calls() === $before + 1, 'the same refund id again makes no second call');

// Another refund id for the same payment: Vandar itself refuses.
$second = new WC_Order_Refund();
$second->set_parent_id($order->get_id());
$second->save();
do_action('woocommerce_create_refund', $second, []);
$result = $gateways['dargah_vandar']->process_refund($order->get_id(), '125000', 'twice');
check(is_wp_error($result) && str_contains($result->get_error_message(), 'already refunded'), "a second refund is refused with Vandar's message");

// No business credentials: a clear message.
$settings = get_option('woocommerce_dargah_vandar_settings');
$gateways['dargah_vandar']->settings = ['sandbox' => 'no', 'api_key' => 'k'];
$result = $gateways['dargah_vandar']->process_refund($order->get_id(), '125000');
check(is_wp_error($result) && str_contains($result->get_error_message(), 'business API credentials'), 'without business credentials: says which settings are missing');
$gateways['dargah_vandar']->settings = $settings;

// Other gateways: WooCommerce's "refund manually" only.
$mupra = paid_order('mupra');
$result = wc_create_refund(['order_id' => $mupra->get_id(), 'amount' => '125000', 'refund_payment' => true]);
check(is_wp_error($result) && str_contains($result->get_error_message(), 'does not support automatic refunds'), 'mupra: no automatic refund');
check(wc_create_refund(['order_id' => $mupra->get_id(), 'amount' => '125000', 'refund_payment' => false]) instanceof WC_Order_Refund, 'mupra: a manual refund is recorded');
?>
--EXPECT--
ok - a partial refund is refused before any call
ok - the whole order is refunded
ok - Vandar refunded the transaction, with one call
ok - a note with the transaction and the reason
ok - the same refund id again makes no second call
ok - a second refund is refused with Vandar's message
ok - without business credentials: says which settings are missing
ok - mupra: no automatic refund
ok - mupra: a manual refund is recorded
