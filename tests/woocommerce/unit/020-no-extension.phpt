--TEST--
Without the dargah extension: no gateway, an admin notice saying how to install it, a readable page at the callback URL, no fatal error
--FILE--
<?php
// A PHP of its own, without the extension (this one has it loaded).
$script = tempnam(sys_get_temp_dir(), 'dargah-wc') . '.php';
file_put_contents($script, <<<'PHP'
<?php
require getenv('WC_UNIT_DIR') . '/bootstrap.inc';
if (in_array('callback', $argv, true)) {
    // The customer back from the gateway: WooCommerce's wc-api would print "-1" with no handler.
    do_action('woocommerce_api_dargah_vandar');
    exit(1); // Not reached: the page ends the request.
}
require_once ABSPATH . 'wp-admin/includes/plugin.php';
check(!extension_loaded('dargah'), 'the extension is not loaded');
check(is_plugin_active('dargah-woocommerce/dargah-woocommerce.php'), 'the plugin is active');
check(WC()->payment_gateways()->payment_gateways() === [], 'no gateway is registered');
check(!class_exists('Dargah_WC_Gateway', false), 'no gateway class is even loaded');
wp_set_current_user(1);
ob_start();
do_action('admin_notices');
$notice = ob_get_clean();
check(str_contains($notice, 'notice-error') && str_contains($notice, 'dargah PHP extension is not loaded') && str_contains($notice, 'docs/woocommerce.md'), 'an admin notice says how to install the extension');
wp_set_current_user(0);
ob_start();
do_action('admin_notices');
check(ob_get_clean() === '', 'only to those who manage the shop');
check(count(array_filter(array_keys(Dargah_WC_Plugin::GATEWAYS), fn($slug) => has_action("woocommerce_api_dargah_$slug"))) === 4, "every gateway's callback URL still has a handler");
PHP);
putenv('WC_UNIT_DIR=' . __DIR__);
$php = PHP_BINARY . ' -n ' . getenv('WC_PHP_BASE') . ' ' . escapeshellarg($script);
passthru("$php 2>&1", $status);
$page = shell_exec("$php callback 2>&1");
echo str_contains($page, 'We will confirm your payment shortly') && str_contains($page, '<h1>Payment received</h1>') && !str_contains($page, 'Warning') ? 'ok' : "FAIL ($page)", " - the callback URL shows the customer a readable page\n";
unlink($script);
echo "exit status $status\n";
?>
--EXPECT--
ok - the extension is not loaded
ok - the plugin is active
ok - no gateway is registered
ok - no gateway class is even loaded
ok - an admin notice says how to install the extension
ok - only to those who manage the shop
ok - every gateway's callback URL still has a handler
ok - the callback URL shows the customer a readable page
exit status 0
