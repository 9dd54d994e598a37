--TEST--
Persian: the fa_IR translation shipped in the zip (compiled .mo) translates the plugin's strings
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
restore_previous_locale();
check(__('Sandbox mode', 'dargah-woocommerce') === 'Sandbox mode', 'English again');
?>
--EXPECT--
ok - the zip carries the compiled fa_IR translation
ok - a settings label in Persian
ok - gateway names in Persian
ok - the default title in Persian
ok - payment states in Persian
ok - English again
