--TEST--
Persian: the fa_IR translation shipped in the zip (compiled .mo) translates the plugin's strings, Dargah's own notes, Solar Hijri dates, and isolates card masks and ids
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';

$mo = WP_PLUGIN_DIR . '/dargah-woocommerce/languages/dargah-woocommerce-fa_IR.mo';
check(is_file($mo), 'the zip carries the compiled fa_IR translation');
switch_to_locale('fa_IR');
Dargah_WC_Plugin::load_textdomain();
check(__('Sandbox mode', 'dargah-woocommerce') === 'حالت سندباکس', 'a settings label in Persian');
check(Dargah_WC_Orders::gateway_name('vandar') === 'وندار' && Dargah_WC_Orders::gateway_name('atipay') === 'آتی‌پی', 'gateway names in Persian');
$gateway = new Dargah_WC_Gateway_CanPay();
check($gateway->get_form_fields()['title']['default'] === 'پرداخت با کن‌پی', 'the default title in Persian');
check(Dargah_WC_Admin::state_label('needs_review') === 'نیاز به بررسی', 'payment states in Persian');

// Dargah's notes (English from the engine): the known sentences translated, the gateway's words and numbers kept and isolated.
$ltr = fn(string $s) => "\u{2066}$s\u{2069}";
$note = Dargah_WC_Admin::note_text('amount mismatch: the gateway says 1000 rial, the order is 125000 rial; a verify of ours may have gone through, so a person must check');
check(!preg_match('/[a-z]{3}/', $note) && str_contains($note, $ltr('1000')) && str_contains($note, $ltr('125000')), "a known engine note reads in Persian, its amounts isolated: $note");
$note = Dargah_WC_Admin::note_text('vandar transaction info: code 7 (Something new), which the document does not describe; asked again until the deadline, then a person must check');
check(str_contains($note, $ltr('Something new')) && !str_contains($note, 'which the document'), "Vandar's words stay as Vandar wrote them, inside a Persian sentence: $note");
$note = Dargah_WC_Admin::note_text('a sentence the engine may say one day; asked again until the deadline, then a person must check');
check(str_starts_with($note, 'a sentence the engine may say one day') && !str_contains($note, 'asked again'), 'an unknown part stays in English, the known ones are translated');
// Every sentence the engine writes into a payment's note (core/src, as it words them today) is translated:
// [a note as the engine writes it, the engine's format string it comes from].
$engine = implode("\n", array_map('file_get_contents', glob(getenv('DARGAH_REPO') . '/core/src/{,gateways/,store/}*.rs', GLOB_BRACE)));
$sentences = [
    ['amount mismatch: the gateway says 1000 rial, the order is 125000 rial', 'amount mismatch: the gateway says {paid} rial, the order is {} rial'],
    ['vandar: no receipt of its own so far', '"{}: no receipt of its own so far; a callback\'s receipt verified for {paid} rial, not this order\'s {} rial, so it is another order\'s"'],
    ["a callback's receipt verified for 1000 rial, not this order's 125000 rial, so it is another order's", "a callback's receipt verified for {paid} rial, not this order's {} rial, so it is another order's"],
    ['verification in doubt: the gateway timed out', 'verification in doubt: {}'],
    ['a verify of ours may have gone through, so a person must check', '{note}; a verify of ours may have gone through, so a person must check'],
    ['an earlier verify of ours may have gone through', '"; an earlier verify of ours may have gone through"'],
    ['asked again until the deadline, and a verify of ours may have gone through, so a person must check', '{note}; asked again until the deadline, and a verify of ours may have gone through, so a person must check'],
    ['asked again until the deadline, then a person must check', '{note}; asked again until the deadline, then a person must check'],
    ['mupra verify: not paid', '"mupra verify: not paid"'],
    ['atipay: no referenceNumber from a callback, so the payment cannot be verified', '"atipay: no referenceNumber from a callback, so the payment cannot be verified"'],
    ['atipay verify-payment says paid but gives no amount to check against the order', '"atipay verify-payment says paid but gives no amount to check against the order"'],
    ['vandar transaction info says paid but gives no amount to check against the order', '"{what} says paid but gives no amount to check against the order"'],
    ['vandar transaction info still shows the payment paid and awaiting verify (code 1), but a verify of ours was refused earlier: Vandar answers once, so it is not verified again', '"vandar transaction info still shows the payment paid and awaiting verify (code 1), but a verify of ours was refused earlier: Vandar answers once, so it is not verified again"'],
    ['vandar verify refused a payment transaction info shows paid and awaiting verify: already verified', 'vandar verify refused a payment transaction info shows paid and awaiting verify: {}'],
    ['vandar transaction info refused: not found', 'vandar transaction info refused: {}'],
    ['vandar transaction info: code 1 with no payment date or receipt: not paid yet', '"vandar transaction info: code 1 with no payment date or receipt: not paid yet"'],
    ['vandar transaction info: code 7 (new), which the document does not describe', 'vandar transaction info: code {} ({}), which the document does not describe'],
    ['refused a callback whose receipt already paid dp_other', 'refused a callback whose receipt already paid {other}'],
    ['canpay verify: rejected', 'refusal_as_unpaid(paid, "canpay verify")'],
    ['atipay verify-payment: rejected', 'refusal_as_unpaid_noting(paid, "atipay verify-payment")'],
    ['mupra verify: rejected', 'refusal_as_unpaid_noting(verdict, "mupra verify")'],
];
$stale = array_filter($sentences, fn($s) => !str_contains($engine, $s[1]));
$untranslated = array_filter($sentences, fn($s) => preg_match('/\p{Arabic}/u', Dargah_WC_Admin::note_text($s[0])) !== 1);
check(strlen($engine) > 100000 && $stale === [], 'the engine still words its notes as the plugin knows them' . ($stale ? ': ' . implode(' | ', array_column($stale, 1)) : ''));
check($untranslated === [], 'each of them reads in Persian' . ($untranslated ? ': ' . implode(' | ', array_column($untranslated, 0)) : ''));
check(Dargah_WC_Admin::note_text(null) === '' && Dargah_WC_Admin::note_text('mupra verify: not paid') !== 'mupra verify: not paid', 'no note is empty; a whole note is translated');

// Dates in the Solar Hijri calendar (ICU's Persian calendar), in the site's time zone.
update_option('timezone_string', 'Asia/Tehran');
$date = Dargah_WC_Admin::date_text(new DateTimeImmutable('2026-12-05 18:23:00', new DateTimeZone('UTC')));
check($date === '۱۴ آذر ۱۴۰۵ ساعت ۲۱:۵۳', "5 December 2026, 18:23 UTC is 14 Azar 1405, 21:53 in Tehran: $date");

// The order's payment box: the card mask, ids and amounts in left-to-right isolates.
$client = Dargah_WC_Config::client();
$order = make_order('dargah_mupra', '125000');
WC()->payment_gateways()->payment_gateways()['dargah_mupra']->process_payment($order->get_id());
$payment = $client->payment(Dargah_WC_Orders::latest_payment_id(wc_get_order($order->get_id())));
$callback = pay_at_sandbox($payment);
parse_str((string) parse_url($callback['url'], PHP_URL_QUERY), $query);
$outcome = $client->handleCallback('mupra', $query, []);
Dargah_WC_Orders::credit(wc_get_order($order->get_id()), $outcome->payment, 'by the test');
ob_start();
Dargah_WC_Admin::render(wc_get_order($order->get_id()));
$box = ob_get_clean();
check(str_contains($box, '<td data-field="maskedCard"><bdi dir="ltr">' . $outcome->payment->maskedCard . '</bdi></td>') && str_contains($box, '<bdi dir="ltr">' . $outcome->payment->invoiceId . '</bdi>'), 'the box isolates the card mask and the invoice id');
check(str_contains($box, 'آذر') || str_contains($box, '۱۴۰'), 'the box dates are Solar Hijri');
check(str_contains($box, '>پرداخت‌شده<'), 'the box states are Persian');
$paid_note = array_values(array_filter(array_map(fn($n) => $n->content, wc_get_order_notes(['order_id' => $order->get_id()])), fn($n) => str_contains($n, $outcome->payment->maskedCard)))[0] ?? '';
check(str_contains($paid_note, $ltr($outcome->payment->maskedCard)) && str_contains($paid_note, 'ماپرا'), "the order's paid note is Persian, the card mask isolated: $paid_note");

update_option('timezone_string', '');
restore_previous_locale();
check(__('Sandbox mode', 'dargah-woocommerce') === 'Sandbox mode', 'English again');
check(str_contains(Dargah_WC_Admin::date_text(new DateTimeImmutable('2026-12-05 18:23:00')), '2026'), 'English dates are Gregorian');
?>
--EXPECTF--
ok - the zip carries the compiled fa_IR translation
ok - a settings label in Persian
ok - gateway names in Persian
ok - the default title in Persian
ok - payment states in Persian
ok - a known engine note reads in Persian, its amounts isolated: %s
ok - Vandar's words stay as Vandar wrote them, inside a Persian sentence: %s
ok - an unknown part stays in English, the known ones are translated
ok - the engine still words its notes as the plugin knows them
ok - each of them reads in Persian
ok - no note is empty; a whole note is translated
ok - 5 December 2026, 18:23 UTC is 14 Azar 1405, 21:53 in Tehran: %s
ok - the box isolates the card mask and the invoice id
ok - the box dates are Solar Hijri
ok - the box states are Persian
ok - the order's paid note is Persian, the card mask isolated: %s
ok - English again
ok - English dates are Gregorian
