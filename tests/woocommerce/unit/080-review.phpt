--TEST--
The review queue: a payment that ends needs_review is listed first, filtered by state and gateway, counted in the notice, e-mailed once; "check again" and "mark as reviewed" need the capability and their nonce; the history
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';
require_once ABSPATH . 'wp-admin/includes/template.php';
require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
require_once ABSPATH . 'wp-admin/includes/screen.php';

$client = Dargah_WC_Config::client();
$gateways = WC()->payment_gateways()->payment_gateways();

/** wp_die() and redirects end the request in WordPress; here they end the action, as exceptions. */
final class Died extends Exception {}
final class Redirected extends Exception {}
add_filter('wp_die_handler', fn() => function ($message, $title = '', $args = []) {
    throw new Died(is_string($message) ? $message : '', (int) ($args['response'] ?? 500));
});
add_filter('wp_redirect', function ($location) {
    throw new Redirected($location);
});

/** An action link as the page prints it, followed: [what ended it, its message or address]. */
function follow(string $url): array
{
    parse_str((string) parse_url($url, PHP_URL_QUERY), $query);
    $_GET = $_REQUEST = $query;
    try {
        Dargah_WC_Review::handle_action();
        return ['returned', ''];
    } catch (Died $e) {
        return ['died ' . $e->getCode(), $e->getMessage()];
    } catch (Redirected $e) {
        return ['redirected', $e->getMessage()];
    } finally {
        $_GET = $_REQUEST = [];
    }
}

function page_html(array $query = []): string
{
    $_GET = $_REQUEST = ['page' => Dargah_WC_Review::PAGE] + $query;
    ob_start();
    Dargah_WC_Review::render_page();
    $_GET = $_REQUEST = [];
    return ob_get_clean();
}

/** The payment ids of the page's rows, in order. */
function listed(string $html): array
{
    preg_match_all('/<tr data-payment="([^"]+)"/', $html, $m);
    return $m[1];
}

function notice_html(): string
{
    ob_start();
    Dargah_WC_Review::notice();
    return ob_get_clean();
}

function mails_about(string $payment_id): array
{
    $log = WP_CONTENT_DIR . '/uploads/test-mails.log';
    return array_values(array_filter(array_map(fn($l) => json_decode($l, true), file_exists($log) ? file($log) : []), fn($m) => str_contains($m['message'] . $m['subject'], $payment_id)));
}

function callback_of(Dargah\Payment $payment): array
{
    $callback = pay_at_sandbox($payment);
    parse_str((string) parse_url($callback['url'], PHP_URL_QUERY), $query);
    return [$query, $callback['method'] === 'POST' ? $callback['form'] : []];
}

wp_set_current_user(1); // The administrator: manage_woocommerce.
// Whatever earlier tests put on the queue, the owner has looked at.
foreach (array_keys(Dargah_WC_Review::rows(true)) as $id) {
    follow(Dargah_WC_Review::action_url('reviewed', (string) $id));
}
check(Dargah_WC_Review::open_count() === 0 && notice_html() === '', 'an empty queue: no notice');

// ---- Vandar verifies without an amount (a reading the document permits): needs review.
$order = make_order('dargah_vandar', '125000');
$gateways['dargah_vandar']->process_payment($order->get_id());
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
[$query, $body] = callback_of($payment);
sandbox('POST', '/_control/faults', ['endpoint' => 'vandar.verify', 'remove' => ['amount', 'realAmount'], 'count' => 1]);
$outcome = $client->handleCallback('vandar', $query, $body);
check($outcome->kind === Dargah\OutcomeKind::NeedsReview, 'the payment ends needs_review');
Dargah_WC_Orders::hold_for_review(wc_get_order($order->get_id()), $outcome->payment);
Dargah_WC_Orders::hold_for_review(wc_get_order($order->get_id()), $client->payment($payment->id)); // The callback again.
$review_id = $payment->id;
$order = wc_get_order($order->get_id());
check($order->get_status() === 'on-hold' && count_notes($order, 'needs review') === 1, 'the order is on hold, noted once');

$mails = mails_about($review_id);
check(count($mails) === 1 && $mails[0]['to'] === get_option('admin_email') && str_contains($mails[0]['subject'], 'needs review')
    && str_contains($mails[0]['message'], $outcome->payment->note) && str_contains($mails[0]['message'], 'page=dargah-payments'), "exactly one e-mail, to the shop's admin address, with the reason and the page");

// A paid payment beside it, to list after it.
$order2 = make_order('dargah_mupra', '125000');
$gateways['dargah_mupra']->process_payment($order2->get_id());
$paid = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order2->get_id())));
[$query, $body] = callback_of($paid);
Dargah_WC_Orders::credit($order2, $client->handleCallback('mupra', $query, $body)->payment, 'by the test');

// ---- the page: the waiting payment first, with its reason and order.
$html = page_html();
$rows = listed($html);
check(($rows[0] ?? '') === $review_id && in_array($paid->id, $rows, true), 'the page lists the payment waiting for review first');
check(str_contains($html, 'class="dargah-needs-review"') && str_contains($html, esc_html(Dargah_WC_Admin::note_text($outcome->payment->note)))
    && str_contains($html, esc_url($order->get_edit_order_url())), 'its row shows the reason and links the order');
check(listed(page_html(['dargah_state' => 'review'])) === [$review_id], 'the "waiting for review" filter shows it alone');
check(!in_array($review_id, listed(page_html(['dargah_state' => 'paid'])), true) && in_array($paid->id, listed(page_html(['dargah_state' => 'paid'])), true), 'the state filter');
$mupra = listed(page_html(['dargah_gateway' => 'mupra']));
check(!in_array($review_id, $mupra, true) && in_array($paid->id, $mupra, true), 'the gateway filter');

// ---- the notice: the count, for those who can act.
check(str_contains(notice_html(), '1 payment needs review.'), 'the notice counts one payment');
wp_set_current_user(0);
check(notice_html() === '', 'no notice for a visitor');

// ---- "check again": the capability and the nonce first.
$check = Dargah_WC_Review::action_url('check', $review_id); // Made for the visitor: no capability.
[$ended] = follow($check);
check($ended === 'died 403', 'check again without the capability: refused (403)');
wp_set_current_user(1);
[$ended] = follow(add_query_arg('_wpnonce', 'forged', Dargah_WC_Review::action_url('check', $review_id)));
check($ended === 'died 403', 'check again with a wrong nonce: refused (403)');
[$ended] = follow(Dargah_WC_Review::action_url('check', $paid->id) . '&payment=' . $review_id);
check($ended === 'died 403', "another payment's nonce: refused (403)");

// An in-doubt payment (CanPay's verify answered 500): "check again" asks the gateway and credits it.
$order3 = make_order('dargah_canpay', '125000');
$gateways['dargah_canpay']->process_payment($order3->get_id());
$doubt = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order3->get_id())));
[$query, $body] = callback_of($doubt);
sandbox('POST', '/_control/faults', ['endpoint' => 'canpay.verify', 'status' => 500, 'count' => 1]);
try {
    $client->handleCallback('canpay', $query, $body);
} catch (Dargah\Exception $e) {
}
check($client->payment($doubt->id)->state === Dargah\PaymentState::InDoubt && !wc_get_order($order3->get_id())->is_paid(), 'a payment in doubt, its order unpaid');
[$ended, $to] = follow(Dargah_WC_Review::action_url('check', $doubt->id));
check($ended === 'redirected' && str_contains($to, 'dargah_done=checked') && str_contains($to, 'dargah_now=paid')
    && wc_get_order($order3->get_id())->is_paid() && count_notes(wc_get_order($order3->get_id()), 'payment confirmed') === 1, 'check again with its nonce: verified, paid, the order credited once');
[$ended, $to] = follow(Dargah_WC_Review::action_url('check', $review_id));
check($ended === 'redirected' && str_contains($to, 'dargah_now=needs_review'), 'the needs-review payment checked again: still needs review');
$_GET = ['dargah_done' => 'checked', 'payment' => $review_id, 'dargah_now' => 'needs_review'];
check(str_contains(page_html($_GET), "Payment $review_id checked again; its state now: needs review."), 'the page says what the check found');

// ---- the history: states and the gateway's answers.
$history = page_html(['view' => 'history', 'payment' => $review_id]);
check(str_contains($history, 'id="dargah-history"') && str_contains($history, '<tr data-label="needs_review">') && str_contains($history, '603799******7890'), "the history lists the events up to needs review, with the gateway's answers (card masked)");

// ---- mark as reviewed: the nonce, then off the queue and the notice.
[$ended] = follow(add_query_arg('_wpnonce', 'forged', Dargah_WC_Review::action_url('reviewed', $review_id)));
check($ended === 'died 403' && Dargah_WC_Review::open_count() === 1, 'mark as reviewed with a wrong nonce: refused');
[$ended, $to] = follow(Dargah_WC_Review::action_url('reviewed', $review_id));
check($ended === 'redirected' && str_contains($to, 'dargah_done=reviewed') && Dargah_WC_Review::open_count() === 0 && notice_html() === '', 'marked as reviewed: the notice is gone');
Dargah_WC_Orders::hold_for_review(wc_get_order($order->get_id()), $client->payment($review_id));
check(count(mails_about($review_id)) === 1 && Dargah_WC_Review::open_count() === 0, 'seen again later: no second e-mail, not queued again');

// ---- the e-mail is WooCommerce's: turned off in its settings, nothing is sent.
update_option('woocommerce_dargah_needs_review_settings', ['enabled' => 'no']);
$emails = WC()->mailer()->get_emails();
$emails['Dargah_WC_Email_Needs_Review']->init_settings();
$emails['Dargah_WC_Email_Needs_Review']->enabled = $emails['Dargah_WC_Email_Needs_Review']->get_option('enabled');
$before = count(file(WP_CONTENT_DIR . '/uploads/test-mails.log'));
do_action(Dargah_WC_Review::ACTION, 'dp_test', $order->get_id(), 'a reason');
check(isset($emails['Dargah_WC_Email_Needs_Review']) && count(file(WP_CONTENT_DIR . '/uploads/test-mails.log')) === $before, 'registered with woocommerce_email_classes; off in its settings, none sent');
delete_option('woocommerce_dargah_needs_review_settings');
?>
--EXPECT--
ok - an empty queue: no notice
ok - the payment ends needs_review
ok - the order is on hold, noted once
ok - exactly one e-mail, to the shop's admin address, with the reason and the page
ok - the page lists the payment waiting for review first
ok - its row shows the reason and links the order
ok - the "waiting for review" filter shows it alone
ok - the state filter
ok - the gateway filter
ok - the notice counts one payment
ok - no notice for a visitor
ok - check again without the capability: refused (403)
ok - check again with a wrong nonce: refused (403)
ok - another payment's nonce: refused (403)
ok - a payment in doubt, its order unpaid
ok - check again with its nonce: verified, paid, the order credited once
ok - the needs-review payment checked again: still needs review
ok - the page says what the check found
ok - the history lists the events up to needs review, with the gateway's answers (card masked)
ok - mark as reviewed with a wrong nonce: refused
ok - marked as reviewed: the notice is gone
ok - seen again later: no second e-mail, not queued again
ok - registered with woocommerce_email_classes; off in its settings, none sent
