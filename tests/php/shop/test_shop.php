<?php
/*
 * examples/php-shop end to end in headless Chromium, through the sandbox's
 * real payment pages: for every gateway, buy, pay with a card, land on the
 * order page, paid and credited once; then the callback again (a refresh or
 * resubmission of the callback page) and a reload of the order page: still
 * credited once, one verify at the gateway; an order whose amount the shop
 * raised while its customer was paying is not credited but needs review. The shop is on localhost and the
 * sandbox on 127.0.0.1, so a POST callback (CanPay, AtiPay) is a cross-site
 * request that carries no session cookie: the order is credited anyway.
 *
 * Run by tests/php/run-shop.sh, which starts the servers and passes their
 * addresses in SHOP_URL, DARGAH_SANDBOX_URL, WEBDRIVER_URL, CHROMIUM_PROFILE,
 * SHOP_DATA and DARGAH_CONFIG. Prints "ok"/"FAIL" lines and a summary.
 */
declare(strict_types=1);

require __DIR__ . '/webdriver.inc';

const CARD = '6037991234567890';
const VERIFY = ['mupra' => 'mupra.verify', 'canpay' => 'canpay.verify', 'atipay' => 'atipay.verify-payment', 'vandar' => 'vandar.verify'];

$shop = getenv('SHOP_URL');
$sandbox = getenv('DARGAH_SANDBOX_URL');
$artifacts = getenv('SHOP_ARTIFACTS');
$passed = $failed = 0;

function check(bool $ok, string $what): void
{
    global $passed, $failed;
    $ok ? $passed++ : $failed++;
    echo $ok ? 'ok   ' : 'FAIL ', $what, "\n";
}

function shop_db(): PDO
{
    return new PDO('sqlite:' . getenv('SHOP_DATA') . '/shop.db', options: [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
}

function verify_calls(string $gateway, string $token): int
{
    $stats = json_decode(file_get_contents(getenv('DARGAH_SANDBOX_URL') . '/_control/stats'), true);
    return $stats['by_token'][$token][VERIFY[$gateway]] ?? 0;
}

/* The order page's figures: [status, credits, history lines]. */
function order_page(WebDriver $browser): array
{
    return [$browser->attribute('#status', 'data-status'), (int) $browser->text('#credits'), explode("\n", $browser->text('#history'))];
}

function count_lines(array $lines, string $needle): int
{
    return count(array_filter($lines, fn($l) => str_contains($l, $needle)));
}

// The shop's Dargah store, to look up the gateway's token of a payment.
$dargah = new Dargah\Client(json_decode(file_get_contents(getenv('DARGAH_CONFIG')), true));

$browser = new WebDriver(getenv('WEBDRIVER_URL'), getenv('CHROMIUM') ?: '/usr/bin/chromium', getenv('CHROMIUM_PROFILE'));
try {
    foreach (['vandar', 'mupra', 'canpay', 'atipay'] as $gateway) {
        echo "== $gateway\n";
        $browser->requests(); // forget earlier requests

        // The product page; choose the gateway and buy.
        $browser->get("$shop/");
        $browser->click("#gateway option[value=$gateway]");
        $browser->click('#buy');

        // The gateway's payment page (AtiPay: after the shop's auto-submitting form).
        $browser->until(fn($b) => str_starts_with($b->url(), $sandbox) && $b->find('#card'), "the $gateway payment page");
        check(str_contains($browser->text('body'), '1,250,000') || str_contains($browser->text('body'), '1250000'), "$gateway: the payment page shows the amount");
        $browser->type('#card', CARD);
        $browser->click('#pay');

        // Back at the shop, on the order page.
        $browser->until(fn($b) => str_starts_with($b->url(), "$shop/order.php"), "the order page after paying at $gateway");
        $order_url = $browser->url();
        [$status, $credits, $history] = order_page($browser);
        check($status === 'paid' && $credits === 1, "$gateway: the customer lands on the order page, paid and credited once ($status, $credits)");

        // The callback as the browser made it.
        $callbacks = array_values(array_filter($browser->requests(), fn($r) => str_contains($r['url'], '/callback.php')));
        $callback = $callbacks[0] ?? null;
        $method = $gateway === 'canpay' || $gateway === 'atipay' ? 'POST' : 'GET';
        check($callback !== null && $callback['method'] === $method && str_starts_with($callback['url'], "$shop/"), "$gateway: the gateway called back by $method");
        if ($method === 'POST') {
            check(count_lines($history, 'callback by POST without the session cookie: newly_paid') === 1,
                "$gateway: the cross-site POST callback came without the session cookie, and the order was credited");
        }

        // The callback page again: a refresh (GET), or the form resubmitted from the gateway's site (POST).
        if ($method === 'GET') {
            $browser->get($callback['url']);
        } else {
            $browser->get("$sandbox/_control/stats");
            $browser->post_form($callback['url'], $callback['postData'] ?? '');
        }
        $browser->until(fn($b) => $b->url() === $order_url, "the order page after the second callback");
        $browser->refresh();
        [$status, $credits, $history] = order_page($browser);
        check($status === 'paid' && $credits === 1 && count_lines($history, 'payment confirmed') === 1
            && count_lines($history, ': already_paid') === 1,
            "$gateway: the callback again and a reload of the order page credit nothing more");

        $order = shop_db()->query("SELECT * FROM orders ORDER BY id DESC LIMIT 1")->fetch(PDO::FETCH_ASSOC);
        $token = $dargah->payment($order['payment_id'])->token;
        $credit_rows = (int) shop_db()->query("SELECT COUNT(*) FROM credits WHERE order_id = {$order['id']}")->fetchColumn();
        check(verify_calls($gateway, $token) === 1 && $credit_rows === 1, "$gateway: one verify at the gateway, one credit row");
        check($dargah->unacknowledged() === [], "$gateway: acknowledged, nothing left for the fulfilment job");
        $browser->screenshot("$artifacts/order-$gateway.png");
    }

    // The customer's session survived every trip: the product page lists all four orders.
    $browser->get("$shop/");
    check(count(explode("\n", $browser->text('#orders'))) === 4, 'the session lists the four orders');

    // The shop raises the order's amount while the customer is on the gateway's page; the
    // customer pays the old amount: received, not credited, "needs review", once.
    echo "== an order edited after the payment was made\n";
    $browser->requests(); // forget earlier requests
    $browser->click('#gateway option[value=mupra]');
    $browser->click('#buy');
    $browser->until(fn($b) => str_starts_with($b->url(), $sandbox) && $b->find('#card'), 'the mupra payment page');
    $edited = shop_db()->query('SELECT * FROM orders ORDER BY id DESC LIMIT 1')->fetch(PDO::FETCH_ASSOC);
    shop_db()->prepare('UPDATE orders SET amount = 2500000 WHERE id = ?')->execute([$edited['id']]);
    $browser->type('#card', CARD);
    $browser->click('#pay');
    $browser->until(fn($b) => str_starts_with($b->url(), "$shop/order.php"), 'the order page after paying the old amount');
    $callback = array_values(array_filter($browser->requests(), fn($r) => str_contains($r['url'], '/callback.php')))[0] ?? null;
    $browser->get($callback['url']); // The callback again.
    $browser->refresh();
    [$status, $credits, $history] = order_page($browser);
    check($status === 'needs review' && $credits === 0
        && count_lines($history, 'not credited: it paid 1,250,000 rial, the order now costs 2,500,000 rial') === 1,
        "edited order: not credited, needs review, both amounts noted once ($status, $credits)");
    check($dargah->payment($edited['payment_id'])->acknowledgedAt !== null && $dargah->unacknowledged() === [],
        'edited order: the payment is acknowledged, nothing left for the fulfilment job');
} catch (Throwable $e) {
    check(false, 'the browser test stopped: ' . $e->getMessage());
    $browser->failure_screenshot("$artifacts/failure.png");
} finally {
    $browser->quit();
}
echo "php-shop-test: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
