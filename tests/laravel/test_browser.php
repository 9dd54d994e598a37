<?php
/*
 * The test shop (build/laravel/app) end to end in headless Chromium, served
 * by nginx + php-fpm, through the sandbox's real payment pages: for every
 * gateway, checkout (a CSRF-protected form of the `web` group), pay with a
 * card, land on the shop's paid page with the order credited; the callback
 * again changes nothing. The shop is on localhost and the sandbox on
 * 127.0.0.1, so CanPay's and AtiPay's POST callbacks are cross-site and carry
 * no SameSite=Lax session cookie: the package's route takes them anyway.
 *
 * Run by tests/laravel/run.sh (SHOP_URL, DARGAH_SANDBOX_URL, WEBDRIVER_URL,
 * CHROMIUM_PROFILE, SHOP_ARTIFACTS, SHOP_APP). Prints ok/FAIL lines and a summary.
 */
declare(strict_types=1);

require __DIR__ . '/../php/shop/webdriver.inc';
require getenv('SHOP_APP') . '/vendor/autoload.php';

use App\Models\Order;
use Dargah\Laravel\Facades\Dargah;
use Dargah\Laravel\Testing\Sandbox;

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

function verify_calls(string $gateway, string $token): int
{
    $endpoint = Sandbox::VERIFY_ENDPOINTS[$gateway];
    $stats = json_decode(file_get_contents(getenv('DARGAH_SANDBOX_URL') . '/_control/stats'), true);
    return $stats['by_token'][$token][$endpoint] ?? 0;
}

// The shop itself (its .env: the sandbox), to read its orders and Dargah's store.
$app = require getenv('SHOP_APP') . '/bootstrap/app.php';
$app->make(Illuminate\Contracts\Console\Kernel::class)->bootstrap();

$browser = new WebDriver(getenv('WEBDRIVER_URL'), getenv('CHROMIUM') ?: '/usr/bin/chromium', getenv('CHROMIUM_PROFILE'));
try {
    foreach (['vandar', 'mupra', 'canpay', 'atipay'] as $gateway) {
        echo "== $gateway\n";
        $browser->requests(); // forget earlier requests

        $browser->get("$shop/");
        $browser->click("#gateway option[value=$gateway]");
        $browser->type('#mobile', '09123456789');
        $browser->click('#pay');

        // The gateway's payment page (AtiPay: after the package's self-posting form).
        $browser->until(fn ($b) => str_starts_with($b->url(), $sandbox) && $b->find('#card'), "the $gateway payment page");
        $browser->type('#card', Sandbox::CARD);
        $browser->click('#pay');

        $browser->until(fn ($b) => str_starts_with($b->url(), "$shop/checkout/paid?"), "the shop's paid page after paying at $gateway");
        $paidUrl = $browser->url();
        check($browser->text('#status') === 'paid', "$gateway: the customer lands on the paid page, the order credited");

        $callbacks = array_values(array_filter($browser->requests(), fn ($r) => str_starts_with($r['url'], "$shop/dargah/callback/$gateway")));
        $callback = $callbacks[0] ?? null;
        $method = in_array($gateway, ['canpay', 'atipay'], true) ? 'POST' : 'GET';
        check($callback !== null && $callback['method'] === $method, "$gateway: the gateway called back by $method"
            . ($method === 'POST' ? ' from its own site (cross-site, no session cookie)' : ''));

        // The callback again: a refresh (GET) or the form resubmitted from the gateway's site (POST).
        if ($method === 'GET') {
            $browser->get($callback['url']);
        } else {
            $browser->get("$sandbox/_control/stats");
            $browser->post_form($callback['url'], $callback['postData'] ?? '');
        }
        $browser->until(fn ($b) => $b->url() === $paidUrl, "the paid page after the second callback");

        parse_str((string) parse_url($paidUrl, PHP_URL_QUERY), $query);
        $payment = Dargah::payment($query['payment']);
        $order = Order::where('payment_id', $payment->id)->first();
        check($order !== null && $order->status === 'paid' && $payment->acknowledgedAt !== null,
            "$gateway: order {$order?->number} paid, its payment acknowledged after the listener");
        check(verify_calls($gateway, $payment->token) === 1, "$gateway: one verify at the gateway");
        $browser->screenshot("$artifacts/paid-$gateway.png");
    }
    check(Dargah::unacknowledged() === [], 'nothing left in the outbox');
} catch (Throwable $e) {
    check(false, 'the browser test stopped: ' . $e->getMessage());
    $browser->failure_screenshot("$artifacts/failure.png");
} finally {
    $browser->quit();
}
echo "laravel browser test: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
