<?php
/*
 * The plugin at its edges, on the same WordPress (nginx, php-fpm) as test_e2e.php:
 *
 * - a forged callback carrying a pending order's token (Vandar FAILED and OK):
 *   the order stays payable, no note says the payment failed for good;
 * - every shape of query or form parameter (?key[]=x) on the callback and
 *   checking pages: no PHP warning, no error page;
 * - another plugin's payment hook failing when the customer comes back
 *   (WooCommerce's payment_complete() answers false): the checking page, the
 *   payment unacknowledged, then credited once by the reconcile job;
 * - without the dargah extension (a PHP of its own, `php -S`): the customer
 *   coming back from the gateway reads a page (HTTP 503, Retry-After), in Chromium;
 * - in Persian (the site in fa_IR, WordPress's own right-to-left admin): the
 *   order screen's Dargah box in Chromium shows the card mask 603799******7890
 *   in that order on screen, a Solar Hijri date, and Dargah's notes in Persian.
 *
 * Run by tests/woocommerce/run.sh after test_e2e.php.
 */
declare(strict_types=1);

require __DIR__ . '/e2e.inc';

$site = getenv('SITE_URL');
$artifacts = getenv('ARTIFACTS');
$debug_log = getenv('E2E_DIR') . '/wp-debug.log';

function notes(int $order_id): string
{
    return implode("\n", array_map(fn($n) => $n->content, wc_get_order_notes(['order_id' => $order_id])));
}

/** [status, headers and body] of a request to the shop. */
function fetch(string $url, ?array $post = null): array
{
    $command = ['curl', '-s', '-g', '-i', $url]; // -g: brackets are the parameters' shape, not curl's globbing
    if ($post !== null) {
        array_push($command, '--data', $post === [] ? '' : implode('&', $post));
    }
    $answer = shell_exec(implode(' ', array_map('escapeshellarg', $command)));
    preg_match('/^HTTP\/\S+ (\d+)/', (string) $answer, $m);
    return [(int) ($m[1] ?? 0), (string) $answer];
}

/** A pending order with a payment at the gateway, as checkout leaves it. */
function pending_order(string $slug): WC_Order
{
    update_option('woocommerce_currency', 'IRR');
    $order = wc_create_order(['created_via' => 'checkout']);
    $order->set_total('125000');
    $order->set_billing_phone('09121234567');
    $order->set_payment_method(WC()->payment_gateways()->payment_gateways()["dargah_$slug"]);
    $order->save();
    WC()->payment_gateways()->payment_gateways()["dargah_$slug"]->process_payment($order->get_id());
    return wc_get_order($order->get_id());
}

$browser = new WebDriver(getenv('WEBDRIVER_URL'), getenv('CHROMIUM') ?: '/usr/bin/chromium', getenv('CHROMIUM_PROFILE'));
$server = null;
try {
    echo "== a forged callback carrying a pending order's token\n";
    $order = pending_order('vandar');
    $payment = Dargah_WC_Config::client()->payment(Dargah_WC_Orders::latest_payment_id($order));
    foreach (['FAILED', 'OK'] as $status) {
        [$code] = fetch("$site/?wc-api=dargah_vandar&token={$payment->token}&payment_status=$status");
        $now = Dargah_WC_Config::client()->payment($payment->id);
        check(in_array($now->state->value, Dargah_WC_Orders::OPEN_STATES, true) && wc_get_order($order->get_id())->needs_payment() && !str_contains(notes($order->get_id()), 'not completed'),
            "forged $status ($code): the payment stays open ({$now->state->value}), the order payable, no note says it failed for good");
    }
    check(substr_count(notes($order->get_id()), 'not confirmed yet') <= 1, 'at most one note, saying the payment is not confirmed yet');

    echo "== any shape of query parameter\n";
    $log_before = (int) @filesize($debug_log);
    $shapes = [
        ["$site/?wc-api=dargah_vandar&dargah_check=1&order[]=1&key[]=x", null],
        ["$site/?wc-api=dargah_vandar&dargah_check[]=1&order={$order->get_id()}&key[a]=b", null],
        ["$site/?wc-api=dargah_vandar&token[]=x&payment_status[]=OK", null],
        ["$site/?wc-api=dargah_mupra&token[x]=1", null],
        ["$site/?wc-api=dargah_canpay", ['token[]=x', 'success[]=1', 'invoice_id[]=1']],
        ["$site/?wc-api=dargah_atipay", ['state[]=OK', 'referenceNumber[x]=1']],
        ["$site/?standin=checkout&dargah_notice[]=failed", null],
    ];
    foreach ($shapes as [$url, $post]) {
        [$code, $answer] = fetch($url, $post);
        check(in_array($code, [200, 303, 400, 404], true) && !preg_match('/Warning|Fatal error|Notice:/', $answer), "$code for " . substr($url, strlen($site)) . ($post ? ' POST ' . implode('&', $post) : ''));
    }
    clearstatcache();
    $new_log = substr((string) @file_get_contents($debug_log), $log_before);
    check(!preg_match('/PHP (Warning|Notice|Fatal|Deprecated)/', $new_log), 'no PHP warning in the debug log' . ($new_log ? ":\n$new_log" : ''));

    echo "== another plugin's payment hook fails when the customer comes back\n";
    $order = pending_order('mupra');
    $failing = Dargah_WC_Config::client()->payment(Dargah_WC_Orders::latest_payment_id($order));
    $callback = control('POST', '/_control/pay', ['gateway' => 'mupra', 'token' => $failing->token, 'action' => 'pay', 'card' => CARD]);
    update_option('dargah_test_fail_payment_complete', $order->get_id());
    [$code, $answer] = fetch($callback['url']);
    wp_cache_flush();
    check($code === 200 && str_contains($answer, 'id="dargah-checking"') && !wc_get_order($order->get_id())->is_paid()
        && Dargah_WC_Config::client()->payment($failing->id)->acknowledgedAt === null && str_contains(notes($order->get_id()), 'Payment complete event failed. a test plugin failed'),
        "WooCommerce could not complete the payment ($code): the customer reads the checking page, the payment stays unacknowledged");
    $again = html_entity_decode(preg_match('/url=([^"]+)"/', $answer, $m) ? $m[1] : '');
    [$code] = fetch($again); // The checking page reloads: it leaves the crediting to the job for a while, adding no note.
    wp_cache_flush();
    check($code === 200 && substr_count(notes($order->get_id()), 'Payment complete event failed') === 1, "the checking page's reload ($code) does not try again at once: one failure note");
    delete_option('dargah_test_fail_payment_complete');
    sleep(1); // The job recurs every second in the tests.
    do_action('action_scheduler_run_queue', 'WP CLI');
    wp_cache_flush();
    check(wc_get_order($order->get_id())->is_paid() && substr_count(notes($order->get_id()), 'Mupra payment confirmed') === 1
        && Dargah_WC_Config::client()->payment($failing->id)->acknowledgedAt !== null, 'once the hook works again, the reconcile job credits the order, once');

    echo "== without the dargah extension\n";
    $port = (int) trim((string) shell_exec('php -n -r \'$s = stream_socket_server("tcp://127.0.0.1:0"); echo parse_url("tcp://" . stream_socket_get_name($s, false), PHP_URL_PORT);\''));
    $bare = "http://127.0.0.1:$port";
    $server = proc_open('exec php -n ' . getenv('WC_PHP_BASE') . " -S 127.0.0.1:$port -t " . escapeshellarg(getenv('WP_DIR')), [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
    for ($i = 0; $i < 50 && !@fsockopen('127.0.0.1', $port); $i++) {
        usleep(100_000);
    }
    [$code, $answer] = fetch("$bare/?wc-api=dargah_vandar&token={$payment->token}&payment_status=OK");
    check($code === 503 && preg_match('/^Retry-After: \d+/mi', $answer) === 1 && !preg_match('/\n-1$/', $answer), "the callback answers 503 with Retry-After, not a bare -1 ($code)");
    $browser->get("$bare/?wc-api=dargah_canpay");
    $text = $browser->text('#dargah-unavailable');
    check(str_contains($text, 'We will confirm your payment shortly'), "Chromium shows the customer a readable page: \"$text\"");
    $browser->screenshot("$artifacts/no-extension.png");
    proc_terminate($server);
    proc_close($server);
    $server = null;

    echo "== in Persian: the order's Dargah box\n";
    update_option('WPLANG', 'fa_IR');
    update_option('timezone_string', 'Asia/Tehran');
    wp_set_password('e2e-admin-password', 1);
    $browser->get("$site/?standin=checkout");
    $browser->click('#payment_method_dargah_mupra');
    $browser->click('#place_order');
    $browser->until(fn($b) => str_starts_with($b->url(), getenv('DARGAH_SANDBOX_URL')) && $b->find('#card') !== '', 'the mupra payment page');
    $browser->type('#card', CARD);
    $browser->click('#pay');
    $browser->until(fn($b) => str_contains($b->url(), 'standin=order-received'), 'the thank-you page');
    parse_str((string) parse_url($browser->url(), PHP_URL_QUERY), $q);
    $order_id = (int) $q['order_id'];

    $browser->get("$site/wp-login.php");
    $browser->type('#user_login', 'admin');
    $browser->type('#user_pass', 'e2e-admin-password');
    $browser->click('#wp-submit');
    $browser->until(fn($b) => str_contains($b->url(), '/wp-admin/'), 'the dashboard');
    $browser->get("$site/wp-admin/admin.php?page=wc-orders&action=edit&id=$order_id");
    $browser->until(fn($b) => $b->find('td[data-field="maskedCard"] bdi') !== '', 'the order screen');
    // Where the first and last characters of the mask land on screen; the same text
    // without the isolate, in the same right-to-left page, as the control.
    [$mask, $direction, $isolated, $bare_reversed] = $browser->script(<<<'JS'
        const edges = (node) => {
            const r = document.createRange(), t = node.firstChild;
            r.setStart(t, 0); r.setEnd(t, 1); const first = r.getBoundingClientRect().left;
            r.setStart(t, t.length - 1); r.setEnd(t, t.length); const last = r.getBoundingClientRect().left;
            return first < last;
        };
        const bdi = document.querySelector('td[data-field="maskedCard"] bdi');
        const control = document.createElement('span');
        control.textContent = bdi.textContent;
        bdi.closest('td').appendChild(control);
        const result = [bdi.textContent, getComputedStyle(document.documentElement).direction, edges(bdi), !edges(control)];
        control.remove();
        return result;
        JS);
    check($direction === 'rtl', "WordPress's admin in fa_IR is right-to-left ($direction)");
    check($mask === '603799******7890' && $isolated, "the card mask reads $mask on screen, left to right");
    check($bare_reversed, 'the control: the same mask without the isolate would be reversed on this page');
    $paid_at = $browser->text('td[data-field="paidAt"]');
    check(preg_match('/۱۴\d\d/u', $paid_at) === 1 && preg_match('/(فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند)/u', $paid_at) === 1, "the payment date is Solar Hijri: $paid_at");
    $state = $browser->text('td[data-field="state"]');
    check($state === 'پرداخت‌شده', "the state reads in Persian: $state");
    $notes = $browser->text('#order-notes');
    check(str_contains($notes, 'ماپرا') && str_contains($notes, '603799******7890') && !str_contains($notes, 'payment confirmed'), 'Dargah\'s notes are in Persian, with the card mask whole');
    $browser->screenshot("$artifacts/persian-order-box.png");

    echo "== the settings page: secrets never printed back\n";
    $option = 'woocommerce_dargah_canpay_settings';
    $settings_before = get_option($option);
    $settings_page = "$site/wp-admin/admin.php?page=wc-settings&tab=checkout&section=dargah_canpay";
    $save = function (array $fields) use ($browser, $settings_page) {
        $browser->get($settings_page);
        foreach ($fields as $css => $value) {
            $browser->script('document.querySelector(arguments[0]).value = arguments[1];', [$css, $value]);
        }
        $browser->script('window.dargahBeforeSave = true;');
        $browser->click('#save');
        $browser->until(fn($b) => $b->script('return !window.dargahBeforeSave && document.readyState === "complete" && !!document.getElementById("mainform");'), 'the settings page after saving');
        wp_cache_flush();
        return [$browser->script('return document.documentElement.outerHTML;'), get_option('woocommerce_dargah_canpay_settings')];
    };
    [$html, $saved] = $save(['#woocommerce_dargah_canpay_merchant' => 'CANPAY-SECRET-E2E', 'input[name="woocommerce_dargah_canpay_accounts[0][name]"]' => 'branch2',
        'input[name="woocommerce_dargah_canpay_accounts[0][merchant]"]' => 'BRANCH2-SECRET-E2E']);
    check($saved['merchant'] === 'CANPAY-SECRET-E2E' && ($saved['accounts']['branch2']['merchant'] ?? '') === 'BRANCH2-SECRET-E2E', 'the merchant code and a further account are saved from the page');
    check(!str_contains($html, 'CANPAY-SECRET-E2E') && !str_contains($html, 'BRANCH2-SECRET-E2E') && $browser->attribute('#woocommerce_dargah_canpay_merchant', 'value') === ''
        && $browser->attribute('#woocommerce_dargah_canpay_merchant', 'placeholder') !== '', "neither secret is in the page's HTML; the field is empty with a placeholder");
    [, $saved] = $save([]);
    check($saved['merchant'] === 'CANPAY-SECRET-E2E' && $saved['accounts']['branch2']['merchant'] === 'BRANCH2-SECRET-E2E', 'saving the page untouched keeps both secrets');
    [$html, $saved] = $save(['#woocommerce_dargah_canpay_sandbox_url' => 'http://10.0.0.9:8700']);
    check($browser->script('return !!document.querySelector("#message.error");') && $saved['sandbox_url'] === $settings_before['sandbox_url'], 'a plain-http sandbox address off this server: a settings error, the saved address kept');
    $browser->screenshot("$artifacts/settings-secrets.png");
    update_option($option, $settings_before);
} catch (Throwable $e) {
    check(false, 'the browser test stopped: ' . $e->getMessage() . ' at line ' . $e->getLine());
    $browser->failure_screenshot("$artifacts/boundaries-failure.png");
} finally {
    if ($server) {
        proc_terminate($server);
        proc_close($server);
    }
    update_option('WPLANG', '');
    update_option('timezone_string', '');
    $browser->quit();
}
echo "woocommerce e2e boundaries: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
