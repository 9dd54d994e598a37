<?php
/*
 * Installs the test WordPress (run.sh wrote wp-config.php), activates the
 * plugin as WordPress does (activate_plugin(): its headers' requirements are
 * checked) and turns on the four gateways in sandbox mode with debug logging.
 */
declare(strict_types=1);

define('WP_INSTALLING', true);
$site = parse_url(getenv('SITE_URL'));
$_SERVER['HTTP_HOST'] = $site['host'] . ':' . $site['port'];
$_SERVER['REQUEST_URI'] = '/';
require getenv('WP_DIR') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

wp_install('Dargah test shop', 'admin', 'admin@example.invalid', false, '', wp_generate_password(20));
update_option('permalink_structure', '');
update_option('woocommerce_currency', 'IRR');

$result = activate_plugin('dargah-woocommerce/dargah-woocommerce.php');
if (is_wp_error($result)) {
    fwrite(STDERR, 'activation failed: ' . $result->get_error_message() . "\n");
    exit(1);
}
foreach (['vandar' => 'Vandar', 'mupra' => 'Mupra', 'canpay' => 'CanPay', 'atipay' => 'AtiPay'] as $slug => $name) {
    update_option("woocommerce_dargah_{$slug}_settings", [
        'enabled' => 'yes',
        'title' => "Pay with $name",
        'description' => "Test payments through the $name sandbox.",
        'sandbox' => 'yes',
        'sandbox_url' => getenv('SANDBOX_URL'),
        'debug' => 'yes',
    ]);
}
echo 'WordPress ', get_bloginfo('version'), ' installed; active plugins: ', implode(', ', get_option('active_plugins')), "\n";
