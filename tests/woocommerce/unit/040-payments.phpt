--TEST--
Payments: process_payment per gateway and currency, AtiPay's receipt form, crediting once, unpaid notes, review, the auto-cancel veto, the reconcile job, the order box, logs
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';
require_once ABSPATH . 'wp-admin/includes/template.php';
require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
require_once ABSPATH . 'wp-admin/includes/screen.php';

$client = Dargah_WC_Config::client();
$gateways = WC()->payment_gateways()->payment_gateways();

/** The callback the sandbox's page would send the browser to, as query and body. */
function callback_fields(array $callback): array
{
    parse_str((string) parse_url($callback['url'], PHP_URL_QUERY), $query);
    return [$query, $callback['method'] === 'POST' ? $callback['form'] : []];
}

// ---- process_payment: one order per gateway, each in another currency; 125,000 rial each time.
$orders = [];
foreach ([['vandar', 'IRR', '125000'], ['mupra', 'IRT', '12500'], ['canpay', 'IRHR', '125'], ['atipay', 'IRHT', '12.5']] as [$slug, $currency, $total]) {
    $order = make_order("dargah_$slug", $total, $currency);
    $result = $gateways["dargah_$slug"]->process_payment($order->get_id());
    $order = wc_get_order($order->get_id());
    $payment = $client->payment(Dargah_WC_Orders::latest_payment_id($order));
    $at_sandbox = sandbox('GET', "/_control/payments/$slug/{$payment->token}");
    check($result['result'] === 'success' && $at_sandbox['amount'] === 125000 && $payment->amount === 125000, "$slug: $total $currency reaches the gateway as 125000 rial");
    check(str_starts_with($payment->invoiceId, $order->get_id() . '-'), "$slug: the invoice id starts with the order id");
    if ($slug === 'atipay') {
        check($result['redirect'] === $order->get_checkout_payment_url(true), 'atipay: to the order-pay page, which posts the form');
        ob_start();
        do_action('woocommerce_receipt_dargah_atipay', $order->get_id());
        $html = ob_get_clean();
        check(str_contains($html, 'action="' . getenv('SANDBOX_URL') . '/atipay/v1/redirect-to-gateway"') && str_contains($html, 'name="token" value="' . $payment->token . '"')
            && str_contains($html, 'method="post"') && str_contains($html, '.submit()'), 'atipay: the receipt page renders the auto-submitting form');
    } else {
        check($result['redirect'] === $payment->redirect->url && str_starts_with($result['redirect'], getenv('SANDBOX_URL') . "/$slug/"), "$slug: to the gateway's payment page");
    }
    check(count_notes($order, 'Customer sent to') === 1, "$slug: a note records the attempt");
    $orders[$slug] = $order;
}

// A second attempt for the same order gets a fresh invoice id, not a duplicate refusal.
$again = $gateways['dargah_vandar']->process_payment($orders['vandar']->get_id());
$ids = Dargah_WC_Orders::payment_ids(wc_get_order($orders['vandar']->get_id()));
check($again['result'] === 'success' && count($ids) === 2 && $client->payment($ids[0])->invoiceId !== $client->payment($ids[1])->invoiceId, 'a retry makes a new payment with a new invoice id');

// Refused before any gateway call: a fraction of a rial; AtiPay without a mobile number.
$bad = make_order('dargah_mupra', '1250.5', 'IRR');
$GLOBALS['standin_wc_notices'] = [];
check($gateways['dargah_mupra']->process_payment($bad->get_id())['result'] === 'failure' && str_contains(wc_print_notices(true), 'whole rial'), 'a total that is not whole rial is refused with a notice');
$bad = make_order('dargah_atipay', '125000', 'IRR', '');
check($gateways['dargah_atipay']->process_payment($bad->get_id())['result'] === 'failure' && str_contains(wc_print_notices(true), 'mobile number'), 'AtiPay without a mobile number is refused with a notice');
update_option('woocommerce_currency', 'IRR');

// ---- crediting: only "newly paid", once, with reference, trace number and card; then acknowledged.
$order = $orders['canpay'];
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id($order));
[$query, $body] = callback_fields(pay_at_sandbox($payment));
$outcome = $client->handleCallback('canpay', $query, $body);
check($outcome->kind === Dargah\OutcomeKind::NewlyPaid, 'canpay: the callback is newly paid');
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the test');
Dargah_WC_Orders::credit($order, $outcome->payment, 'by the test'); // A second credit of the same payment is a no-op.
$order = wc_get_order($order->get_id());
$paid = $outcome->payment;
check($order->get_status() === 'processing' && $order->get_transaction_id() === $paid->reference, 'payment_complete() with the reference as transaction id');
check(count_notes($order, 'CanPay payment confirmed') === 1 && count_notes($order, "Reference: {$paid->reference}; trace number:") === 1 && count_notes($order, "card: {$paid->maskedCard}") === 1, 'one note with reference, trace number and masked card');
check(count_notes($order, 'Payment via') === 1, "WooCommerce's own payment note, once");
check($client->unacknowledged() === [] && $client->payment($paid->id)->acknowledgedAt !== null, 'acknowledged: nothing left in the outbox');
check($client->handleCallback('canpay', $query, $body)->kind === Dargah\OutcomeKind::AlreadyPaid, 'the same callback again is already paid');

// ---- not paid: cancelled at the gateway; a note once, the order stays payable.
$order = make_order('dargah_vandar', '125000');
$gateways['dargah_vandar']->process_payment($order->get_id());
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
[$query, $body] = callback_fields(pay_at_sandbox($payment, 'cancel'));
$outcome = $client->handleCallback('vandar', $query, $body);
Dargah_WC_Orders::note_unpaid(wc_get_order($order->get_id()), $outcome->payment, $outcome->kind->value);
Dargah_WC_Orders::note_unpaid(wc_get_order($order->get_id()), $outcome->payment, $outcome->kind->value);
$order = wc_get_order($order->get_id());
// The payment stays open until its deadline (the gateway may still confirm it): the note says so, nothing final.
check($outcome->kind === Dargah\OutcomeKind::Failed && count_notes($order, 'Vandar payment not confirmed yet (failed for now)') === 1 && count_notes($order, 'not completed') === 0, 'vandar: told failed, noted once as not confirmed yet');
check($order->needs_payment() && $order->get_status() === 'pending', 'the order stays payable');

// ---- WooCommerce's auto-cancel of unpaid orders is vetoed while the payment is open.
$open = $orders['atipay'];
check(apply_filters('woocommerce_cancel_unpaid_order', true, $open) === false, 'an order whose payment is open at the gateway is not cancelled');
// (A cancelled payment may stay open until its deadline: only a gateway's documented answer closes it early.)
check(apply_filters('woocommerce_cancel_unpaid_order', true, wc_get_order($orders['canpay']->get_id())) === true, 'an order whose payment is no longer open (paid) is left to WooCommerce');
$other = make_order('dargah_vandar', '1000');
$other->set_payment_method('cod');
check(apply_filters('woocommerce_cancel_unpaid_order', true, $other) === true && apply_filters('woocommerce_cancel_unpaid_order', false, $open) === false, "other orders and WooCommerce's own choice are left alone");

// ---- needs review: on hold, with the reason (noted once).
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id($open));
Dargah_WC_Orders::hold_for_review($open, $payment);
Dargah_WC_Orders::hold_for_review(wc_get_order($open->get_id()), $payment);
$open = wc_get_order($open->get_id());
check($open->get_status() === 'on-hold' && count_notes($open, 'needs review') === 1, 'needs review: on hold with the reason');

// ---- the reconcile job: a customer who paid and closed the tab.
check(as_has_scheduled_action(Dargah_WC_Plugin::RECONCILE_HOOK, [], 'dargah'), 'the reconcile job is scheduled with Action Scheduler');
$closed = $orders['vandar'];
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($closed->get_id())));
pay_at_sandbox($payment); // No callback follows.
sleep(1);
$ran = standin_as_run_queue();
$closed = wc_get_order($closed->get_id());
check($ran >= 1 && $closed->is_paid() && count_notes($closed, 'by the reconcile job') === 1, 'the job credits the closed-tab payment');
check($client->unacknowledged() === [], 'and acknowledges it');

// ---- the order screen's box: every attempt and what Dargah knows.
do_action('add_meta_boxes', 'woocommerce_page_wc-orders', $closed);
global $wp_meta_boxes;
check(isset($wp_meta_boxes['woocommerce_page_wc-orders']['normal']['default']['dargah-payments']), "the box is on WooCommerce's (HPOS) order screen");
ob_start();
Dargah_WC_Admin::render($closed);
$box = ob_get_clean();
check(substr_count($box, 'data-payment="dp_') === 2 && str_contains($box, '>paid<') && str_contains($box, $client->payment(Dargah_WC_Orders::latest_payment_id($closed))->reference), 'the box shows both attempts, the paid one with its reference');
ob_start();
Dargah_WC_Admin::render($orders['canpay']);
check(str_contains(ob_get_clean(), 'Refunds for this gateway are manual'), 'other gateways: refunds are manual');

// ---- logs: WooCommerce's logger, source dargah, nothing secret; nothing without debug.
$log = WP_CONTENT_DIR . '/uploads/wc-logs/dargah.log';
$text = (string) file_get_contents($log);
check(str_contains($text, 'credited for payment') && str_contains($text, 'reconcile: paid 1'), 'events go to the "dargah" log');
$secrets = ['sandbox-vandar-ipg-api-key', 'sandbox-mupra-api-key', 'sandbox-canpay-merchant', 'sandbox-atipay-api-key', 'sandbox-vandar-access-token', 'sandbox-vandar-refresh-token', 'dargah:dargah'];
check(array_filter($secrets, fn($s) => str_contains($text, $s)) === [], 'no credential in the log');
$saved = [];
foreach (array_keys(Dargah_WC_Plugin::GATEWAYS) as $slug) {
    $saved[$slug] = get_option("woocommerce_dargah_{$slug}_settings");
    update_option("woocommerce_dargah_{$slug}_settings", ['debug' => 'no'] + $saved[$slug]);
}
$size = filesize($log);
clearstatcache();
Dargah_WC_Log::log('info', 'vandar', 'not logged');
Dargah_WC_Log::log('info', null, 'not logged');
clearstatcache();
check(filesize($log) === $size, 'debug logging off: nothing is logged');
foreach ($saved as $slug => $settings) {
    update_option("woocommerce_dargah_{$slug}_settings", $settings);
}
?>
--EXPECT--
ok - vandar: 125000 IRR reaches the gateway as 125000 rial
ok - vandar: the invoice id starts with the order id
ok - vandar: to the gateway's payment page
ok - vandar: a note records the attempt
ok - mupra: 12500 IRT reaches the gateway as 125000 rial
ok - mupra: the invoice id starts with the order id
ok - mupra: to the gateway's payment page
ok - mupra: a note records the attempt
ok - canpay: 125 IRHR reaches the gateway as 125000 rial
ok - canpay: the invoice id starts with the order id
ok - canpay: to the gateway's payment page
ok - canpay: a note records the attempt
ok - atipay: 12.5 IRHT reaches the gateway as 125000 rial
ok - atipay: the invoice id starts with the order id
ok - atipay: to the order-pay page, which posts the form
ok - atipay: the receipt page renders the auto-submitting form
ok - atipay: a note records the attempt
ok - a retry makes a new payment with a new invoice id
ok - a total that is not whole rial is refused with a notice
ok - AtiPay without a mobile number is refused with a notice
ok - canpay: the callback is newly paid
ok - payment_complete() with the reference as transaction id
ok - one note with reference, trace number and masked card
ok - WooCommerce's own payment note, once
ok - acknowledged: nothing left in the outbox
ok - the same callback again is already paid
ok - vandar: told failed, noted once as not confirmed yet
ok - the order stays payable
ok - an order whose payment is open at the gateway is not cancelled
ok - an order whose payment is no longer open (paid) is left to WooCommerce
ok - other orders and WooCommerce's own choice are left alone
ok - needs review: on hold with the reason
ok - the reconcile job is scheduled with Action Scheduler
ok - the job credits the closed-tab payment
ok - and acknowledges it
ok - the box is on WooCommerce's (HPOS) order screen
ok - the box shows both attempts, the paid one with its reference
ok - other gateways: refunds are manual
ok - events go to the "dargah" log
ok - no credential in the log
ok - debug logging off: nothing is logged
