<?php
/*
 * The owner's review queue in headless Chromium, on the same WordPress as
 * test_e2e.php: a customer pays with Vandar and its verify answers without an
 * amount (a reading Vandar's document permits), so the payment needs review
 * and the order goes on hold; the administrator logs in and finds the
 * WooCommerce → Dargah payments page listing it first, the notice with the
 * count, the "waiting for review" filter and "check again"; then the same
 * page with the site in Persian (fa_IR), right to left.
 *
 * Screenshots of both go to DARGAH_WC_SCREENSHOTS when it is set (docs/images
 * for the documentation: `DARGAH_WC_SCREENSHOTS=docs/images make woocommerce-test`),
 * else to the run's artifacts.
 *
 * Run by tests/woocommerce/run.sh after test_e2e.php (SITE_URL, WEBDRIVER_URL, …).
 */
declare(strict_types=1);

require __DIR__ . '/e2e.inc';

const PASSWORD = 'review-queue-test-password';

$site = getenv('SITE_URL');
$sandbox = getenv('DARGAH_SANDBOX_URL');
$shots = getenv('DARGAH_WC_SCREENSHOTS') ?: getenv('ARTIFACTS');

/** The payment ids of the page's rows, in order. */
function rows(WebDriver $browser): array
{
    return $browser->script('return Array.from(document.querySelectorAll("#dargah-payments-page tr[data-payment]")).map(r => r.dataset.payment);');
}

is_dir($shots) || mkdir($shots, 0777, true);
wp_set_password(PASSWORD, 1);
$browser = new WebDriver(getenv('WEBDRIVER_URL'), getenv('CHROMIUM') ?: '/usr/bin/chromium', getenv('CHROMIUM_PROFILE') . '-review');
try {
    $browser->resize(1280, 860);
    echo "== a payment that needs review\n";
    update_option('woocommerce_currency', 'IRR');
    $browser->get("$site/?standin=checkout");
    $browser->click('#payment_method_dargah_vandar');
    $browser->click('#place_order');
    $browser->until(fn($b) => str_starts_with($b->url(), $sandbox) && $b->find('#card') !== '', 'the vandar payment page');
    control('POST', '/_control/faults', ['endpoint' => 'vandar.verify', 'remove' => ['amount', 'realAmount'], 'count' => 1]);
    $browser->type('#card', CARD);
    $browser->click('#pay');
    $browser->until(fn($b) => str_contains($b->url(), 'standin=order-received'), 'the thank-you page');
    parse_str((string) parse_url($browser->url(), PHP_URL_QUERY), $q);
    $order = wc_get_order((int) $q['order_id']);
    $payment_id = Dargah_WC_Orders::latest_payment_id($order);
    check($order->get_status() === 'on-hold' && Dargah_WC_Config::client()->payment($payment_id)->state === Dargah\PaymentState::NeedsReview, 'the payment needs review, the order is on hold');

    echo "== the administrator's review page\n";
    $browser->get("$site/wp-login.php");
    $browser->type('#user_login', 'admin');
    $browser->type('#user_pass', PASSWORD);
    $browser->click('#wp-submit');
    $browser->until(fn($b) => str_contains($b->url(), '/wp-admin/'), 'the dashboard after logging in');
    $notice = $browser->text('#dargah-review-notice');
    $count = Dargah_WC_Review::open_count();
    check($count >= 1 && str_contains($notice, number_format_i18n($count) . ($count === 1 ? ' payment needs review.' : ' payments need review.')), "the dashboard's notice: \"$notice\"");
    $browser->get("$site/wp-admin/admin.php?page=dargah-payments");
    $first = rows($browser)[0] ?? '';
    check($first === $payment_id && $browser->attribute("tr[data-payment=\"$payment_id\"]", 'class') === 'dargah-needs-review', 'WooCommerce → Dargah payments lists it first');
    $menu = $browser->script('return Array.from(document.querySelectorAll("#adminmenu a")).filter(a => a.href.includes("page=dargah-payments")).length;');
    check($menu === 1, 'the page is in the admin menu');
    $browser->script('document.getElementById("dargah-state").value = "review";');
    $browser->click('#dargah-filter');
    $browser->until(fn($b) => str_contains($b->url(), 'dargah_state=review'), 'the filtered page');
    check(rows($browser) === array_map('strval', array_keys(Dargah_WC_Review::rows(true))), 'the "waiting for review" filter lists the waiting payments only');
    $browser->get("$site/wp-admin/admin.php?page=dargah-payments");
    // Row actions show on hover; follow the link as a click would.
    $browser->get($browser->attribute("tr[data-payment=\"$payment_id\"] a.dargah-check", 'href'));
    $browser->until(fn($b) => $b->find('#dargah-result') !== '', 'the result of "check again"');
    check(str_contains($browser->text('#dargah-result'), "Payment $payment_id checked again; its state now: needs review."), '"check again" from the page: still needs review');
    $browser->screenshot("$shots/woocommerce-review-en.png");

    echo "== the same page in Persian\n";
    update_option('WPLANG', 'fa_IR');
    $browser->get("$site/wp-admin/admin.php?page=dargah-payments");
    $rtl = $browser->script('return document.documentElement.dir;');
    $title = $browser->text('#dargah-payments-page h1');
    check($rtl === 'rtl' && $title === 'پرداخت‌های درگاه' && ($browser->text('#dargah-review-notice') !== ''), "fa_IR: right to left, the page's title \"$title\", the notice");
    check((rows($browser)[0] ?? '') === $payment_id, 'fa_IR: the payment waiting for review first');
    $browser->screenshot("$shots/woocommerce-review-fa.png");
    echo "   screenshots: $shots/woocommerce-review-{en,fa}.png\n";
} catch (Throwable $e) {
    check(false, 'the browser test stopped: ' . $e->getMessage() . ' at line ' . $e->getLine());
    $browser->failure_screenshot(getenv('ARTIFACTS') . '/review-failure.png');
} finally {
    update_option('WPLANG', '');
    $browser->quit();
}
echo "woocommerce review e2e: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
