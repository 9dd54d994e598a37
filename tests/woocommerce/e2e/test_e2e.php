<?php
/*
 * The plugin end to end in headless Chromium, on WordPress (nginx, php-fpm)
 * with the WooCommerce stand-in, through the sandbox's real payment pages:
 *
 * - every gateway, each in another currency: checkout, the gateway's page
 *   (AtiPay through the order-pay page's self-submitting form), pay, back on
 *   the thank-you page, the order paid once, 125,000 rial at the gateway;
 *   the callback again (a refresh, or the form posted again from the
 *   gateway's site) credits nothing more, and one verify reached the gateway.
 *   The POST callbacks (CanPay, AtiPay) come from 127.0.0.1 to localhost:
 *   cross-site, without the shop's SameSite=Lax cookie, and credit anyway;
 * - a cancelled payment: back to the order-pay page with a notice, then paid
 *   on a second attempt (a fresh invoice id);
 * - two deliveries of one callback while the gateway is slow: one credits,
 *   the other shows the "checking again" page, which ends on the thank-you page;
 * - a callback for no payment of this shop: refused;
 * - a customer who pays and closes the tab: the reconcile job (Action
 *   Scheduler's queue) credits the order;
 * - a Vandar refund from the order, as WooCommerce's refund button makes it.
 *
 * Run by tests/woocommerce/run.sh (SITE_URL, DARGAH_SANDBOX_URL, WEBDRIVER_URL, …).
 */
declare(strict_types=1);

require __DIR__ . '/e2e.inc';

const VERIFY = ['mupra' => 'mupra.verify', 'canpay' => 'canpay.verify', 'atipay' => 'atipay.verify-payment', 'vandar' => 'vandar.verify'];

$site = getenv('SITE_URL');
$sandbox = getenv('DARGAH_SANDBOX_URL');
$artifacts = getenv('ARTIFACTS');
$log = WP_CONTENT_DIR . '/uploads/wc-logs/dargah.log';

function verify_calls(string $gateway, string $token): int
{
    return control('GET', '/_control/stats')['by_token'][$token][VERIFY[$gateway]] ?? 0;
}

function fresh_order(int $id): WC_Order
{
    return wc_get_order($id);
}

function count_notes(int $order_id, string $needle): int
{
    return count(array_filter(wc_get_order_notes(['order_id' => $order_id]), fn($n) => str_contains($n->content, $needle)));
}

function latest_payment(int $order_id): Dargah\Payment
{
    return Dargah_WC_Config::client()->payment(Dargah_WC_Orders::latest_payment_id(fresh_order($order_id)));
}

/** Checkout: the total in the shop's currency, the gateway, place the order. */
function checkout(WebDriver $browser, string $slug, string $total): void
{
    global $site;
    $browser->get("$site/?standin=checkout");
    $browser->script('document.getElementById("total").value = arguments[0];', [$total]);
    $browser->click("#payment_method_dargah_$slug");
    $browser->click('#place_order');
}

function on_sandbox_page(WebDriver $browser): bool
{
    global $sandbox;
    return str_starts_with($browser->url(), $sandbox) && $browser->find('#card') !== '';
}

function order_id_from(string $url): int
{
    parse_str((string) parse_url($url, PHP_URL_QUERY), $q);
    return (int) ($q['order_id'] ?? 0);
}

$browser = new WebDriver(getenv('WEBDRIVER_URL'), getenv('CHROMIUM') ?: '/usr/bin/chromium', getenv('CHROMIUM_PROFILE'));
$paid_vandar_order = 0;
try {
    // The shop's own cookie, SameSite=Lax as session cookies are: a cross-site POST must not carry it.
    $browser->get("$site/?standin=checkout");
    $browser->script('document.cookie = "shop_session=1; SameSite=Lax; path=/";');

    $currencies = ['vandar' => ['IRR', '125000'], 'mupra' => ['IRT', '12500'], 'canpay' => ['IRHR', '125'], 'atipay' => ['IRHT', '12.5']];
    foreach ($currencies as $slug => [$currency, $total]) {
        echo "== $slug ($total $currency)\n";
        update_option('woocommerce_currency', $currency);
        $browser->requests(); // Forget earlier requests.
        $log_before = (int) @filesize($log);

        checkout($browser, $slug, $total);
        $browser->until(fn($b) => on_sandbox_page($b), "the $slug payment page");
        $token = basename(parse_url($browser->url(), PHP_URL_PATH));
        $page = $browser->text('body');
        check(str_contains($page, '125,000') || str_contains($page, '125000'), "$slug: the gateway's page asks for 125,000 rial");
        $browser->type('#card', CARD);
        $browser->click('#pay');

        $browser->until(fn($b) => str_contains($b->url(), 'standin=order-received'), "the thank-you page after paying at $slug");
        $thanks = $browser->url();
        $order_id = order_id_from($thanks);
        $payment = latest_payment($order_id);
        $at_gateway = control('GET', "/_control/payments/$slug/{$payment->token}");
        check($at_gateway['amount'] === 125000 && $at_gateway['status'] === 'paid', "$slug: $total $currency reached the gateway as exactly 125000 rial");
        check($browser->text('#order-status') === 'processing' && fresh_order($order_id)->is_paid(), "$slug: the customer lands on the thank-you page, the order paid");

        $callbacks = array_values(array_filter($browser->requests(), fn($r) => str_contains($r['url'], "wc-api=dargah_$slug")));
        $callback = $callbacks[0] ?? null;
        $method = in_array($slug, ['canpay', 'atipay'], true) ? 'POST' : 'GET';
        check($callback !== null && $callback['method'] === $method && str_starts_with($callback['url'], "$site/"), "$slug: the gateway called back by $method");
        if ($method === 'POST') {
            $new_log = substr((string) file_get_contents($log), $log_before);
            check(str_contains($new_log, 'callback by POST, without cookies') && count_notes($order_id, 'by the gateway callback') === 1,
                "$slug: the cross-site POST callback came without cookies, and credited the order");
        }

        // The callback again: a refresh (GET), or the form posted again from the gateway's site (POST).
        if ($method === 'GET') {
            $browser->get($callback['url']);
        } else {
            $browser->get("$sandbox/_control/stats");
            $browser->post_form($callback['url'], $callback['postData'] ?? '');
        }
        $browser->until(fn($b) => $b->url() === $thanks, "the thank-you page after the second $slug callback");
        $browser->refresh();
        check(count_notes($order_id, 'payment confirmed') === 1 && count_notes($order_id, 'Payment via') === 1 && verify_calls($slug, $payment->token) === 1,
            "$slug: the callback again and a reload credit nothing more; one verify at the gateway");
        check(Dargah_WC_Config::client()->unacknowledged() === [], "$slug: acknowledged, nothing left for the job");
        $browser->screenshot("$artifacts/thanks-$slug.png");
        if ($slug === 'vandar') {
            $paid_vandar_order = $order_id;
        }
    }
    update_option('woocommerce_currency', 'IRR');

    echo "== cancelled, then paid on a second attempt\n";
    checkout($browser, 'mupra', '125000');
    $browser->until(fn($b) => on_sandbox_page($b), 'the mupra payment page');
    $browser->click('#cancel');
    $browser->until(fn($b) => str_contains($b->url(), 'standin=order-pay') && str_contains($b->url(), 'pay_for_order'), 'the order-pay page after cancelling');
    $order_id = order_id_from($browser->url());
    $notice = $browser->text('#notices');
    check(str_contains($notice, 'not confirmed yet') && str_contains($notice, 'You can try again') && fresh_order($order_id)->needs_payment()
        && count_notes($order_id, 'Mupra payment not confirmed yet') === 1 && count_notes($order_id, 'not completed') === 0, "cancelled: back to pay, with a notice (\"$notice\") and a note that nothing is final while the payment is open");
    $first = latest_payment($order_id);
    $browser->click('input[name=payment_method][value=dargah_mupra]');
    $browser->click('#place_order');
    $browser->until(fn($b) => on_sandbox_page($b), 'the mupra payment page, second attempt');
    $browser->type('#card', CARD);
    $browser->click('#pay');
    $browser->until(fn($b) => str_contains($b->url(), 'standin=order-received'), 'the thank-you page after the second attempt');
    $second = latest_payment($order_id);
    check(fresh_order($order_id)->is_paid() && $second->id !== $first->id && $second->invoiceId !== $first->invoiceId, 'paid on the second attempt, with a fresh invoice id');

    echo "== two deliveries of one callback while the gateway is slow\n";
    $order_id = 0;
    checkout($browser, 'vandar', '125000');
    $browser->until(fn($b) => on_sandbox_page($b), 'the vandar payment page');
    $token = basename(parse_url($browser->url(), PHP_URL_PATH));
    $browser->get('about:blank');
    $callback = control('POST', '/_control/pay', ['gateway' => 'vandar', 'token' => $token, 'action' => 'pay', 'card' => CARD]);
    control('POST', '/_control/faults', ['endpoint' => 'vandar.verify', 'latency_ms' => 6000, 'count' => 1]);
    $first_pipes = $second_pipes = [];
    $first_request = proc_open(['curl', '-s', '-w', '\n%{http_code} %{redirect_url}', $callback['url']], [1 => ['pipe', 'w']], $first_pipes);
    usleep(1_500_000);
    $second_request = proc_open(['curl', '-s', '-w', '\n%{http_code} %{redirect_url}', $callback['url']], [1 => ['pipe', 'w']], $second_pipes);
    $answers = [stream_get_contents($first_pipes[1]), stream_get_contents($second_pipes[1])];
    proc_close($first_request);
    proc_close($second_request);
    $checking = array_values(array_filter($answers, fn($a) => str_contains($a, 'id="dargah-checking"')));
    $credited = array_values(array_filter($answers, fn($a) => preg_match('/\n303 \S*standin=order-received/', $a) === 1));
    check(count($checking) === 1 && count($credited) === 1, 'one delivery credits, the other gets the "checking again" page');
    if ($checking) {
        preg_match('/url=([^"]+)"/', $checking[0], $m);
        $browser->get(html_entity_decode($m[1]));
        $browser->until(fn($b) => str_contains($b->url(), 'standin=order-received'), 'the thank-you page from the checking page');
        $order_id = order_id_from($browser->url());
        check(fresh_order($order_id)->is_paid() && count_notes($order_id, 'payment confirmed') === 1, 'the checking page ends on the thank-you page, credited once');
    }

    echo "== a forged callback\n";
    $calls = fn() => array_sum(array_intersect_key(control('GET', '/_control/stats')['calls'], ['vandar.transaction' => 1, 'vandar.verify' => 1]));
    $before = $calls();
    $forged = shell_exec('curl -s -o /dev/null -w "%{http_code}" ' . escapeshellarg("$site/?wc-api=dargah_vandar&token=not-a-token&payment_status=OK"));
    check($forged === '400' && $calls() === $before, "a callback for no payment of this shop is refused ($forged), no gateway call");

    echo "== a customer who pays and closes the tab\n";
    checkout($browser, 'canpay', '125000');
    $browser->until(fn($b) => on_sandbox_page($b), 'the canpay payment page');
    $token = basename(parse_url($browser->url(), PHP_URL_PATH));
    $payment_page = $browser->url();
    $browser->get('about:blank'); // The tab is gone; the payment happens anyway.
    control('POST', '/_control/pay', ['gateway' => 'canpay', 'token' => $token, 'action' => 'pay', 'card' => CARD]);
    global $wpdb;
    $order_id = (int) $wpdb->get_var("SELECT MAX(id) FROM {$wpdb->prefix}standin_wc_orders WHERE type = 'shop_order'");
    check(!fresh_order($order_id)->is_paid(), 'no callback came: the order is not paid yet');
    check(apply_filters('woocommerce_cancel_unpaid_order', true, fresh_order($order_id)) === false, "WooCommerce's auto-cancel is vetoed while the payment is open");
    sleep(1); // The job recurs every second in the tests (every minute by default).
    do_action('action_scheduler_run_queue', 'WP CLI'); // What WP-Cron or `wp action-scheduler run` does.
    check(fresh_order($order_id)->is_paid() && count_notes($order_id, 'by the reconcile job') === 1 && Dargah_WC_Config::client()->unacknowledged() === [],
        'the reconcile job credited the order and acknowledged the payment');

    echo "== a Vandar refund\n";
    $payment = latest_payment($paid_vandar_order);
    $refund = wc_create_refund(['order_id' => $paid_vandar_order, 'amount' => '125000', 'reason' => 'returned', 'refund_payment' => true]);
    check($refund instanceof WC_Order_Refund && control('GET', "/_control/payments/vandar/{$payment->token}")['status'] === 'refunded'
        && fresh_order($paid_vandar_order)->get_status() === 'refunded', 'the Vandar order is refunded at the gateway');
} catch (Throwable $e) {
    check(false, 'the browser test stopped: ' . $e->getMessage() . ' at line ' . $e->getLine());
    $browser->failure_screenshot("$artifacts/failure.png");
} finally {
    $browser->quit();
}
echo "woocommerce e2e: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
