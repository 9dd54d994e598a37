--TEST--
Gateways: four on one base class, their settings, availability by currency, Dargah's configuration, HPOS and Blocks
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';
use Automattic\WooCommerce\Utilities\FeaturesUtil;

$gateways = WC()->payment_gateways()->payment_gateways();
check(array_keys($gateways) === ['dargah_vandar', 'dargah_mupra', 'dargah_canpay', 'dargah_atipay'], 'four gateways registered through woocommerce_payment_gateways');
check(count(array_filter($gateways, fn($g) => $g instanceof Dargah_WC_Gateway && $g instanceof WC_Payment_Gateway)) === 4, 'all on the one base class');

$fields = fn($id) => array_keys($gateways[$id]->get_form_fields());
$common = ['enabled', 'title', 'description', 'sandbox', 'sandbox_url', 'debug'];
check(!array_diff($common, $fields('dargah_mupra')) && in_array('api_key', $fields('dargah_mupra'), true), 'Mupra: title, description, sandbox, debug and its api_key');
check(in_array('merchant', $fields('dargah_canpay'), true), 'CanPay: its merchant code');
check(!array_diff(['apiKey', 'terminalId'], $fields('dargah_atipay')), 'AtiPay: its apiKey and terminal id');
check(!array_diff(['api_key', 'business', 'access_token', 'refresh_token'], $fields('dargah_vandar')), 'Vandar: IPG key and business API credentials');
check($gateways['dargah_vandar']->supports('refunds') && !$gateways['dargah_mupra']->supports('refunds') && !$gateways['dargah_canpay']->supports('refunds') && !$gateways['dargah_atipay']->supports('refunds'), 'only Vandar refunds from the order screen');
check(str_contains($gateways['dargah_canpay']->method_description, 'Refunds are manual'), 'the others say refunds are manual');
check($gateways['dargah_vandar']->get_title() === 'Pay with Vandar', 'the title comes from the settings');

foreach (['IRR' => true, 'IRT' => true, 'IRHR' => true, 'IRHT' => true, 'USD' => false, 'EUR' => false] as $currency => $offered) {
    update_option('woocommerce_currency', $currency);
    $available = array_keys(WC()->payment_gateways()->get_available_payment_gateways());
    check($offered ? count($available) === 4 : $available === [], "$currency: " . ($offered ? 'offered' : 'hidden'));
}
update_option('woocommerce_currency', 'IRR');

// Dargah's configuration from the settings.
$sandbox = getenv('SANDBOX_URL');
$config = Dargah_WC_Config::config();
check($config['vandar']['ipg_base_url'] === "$sandbox/vandar/ipg" && $config['atipay']['terminalId'] === '12345678', 'sandbox mode points every gateway at the sandbox');
check(Dargah_WC_Gateway_Mupra::dargah_config(['api_key' => ' k1 ']) === ['api_key' => 'k1'], 'credentials become the gateway section');
check(Dargah_WC_Gateway_AtiPay::dargah_config(['apiKey' => 'k']) === null, 'a gateway missing a credential is not configured');
check(Dargah_WC_Gateway_Vandar::dargah_config(['sandbox' => 'yes'])['api_base_url'] === 'http://127.0.0.1:8700/vandar/api', 'the sandbox address defaults to dargah sandbox --port 8700');
check(Dargah_WC_Gateway_Mupra::dargah_config(['api_key' => 'k1', 'accounts' => '{"branch2": {"api_key": "k2"}}']) === ['api_key' => 'k1', 'accounts' => ['branch2' => ['api_key' => 'k2']]], 'further merchant accounts become the gateway\'s named accounts');
check(!isset(Dargah_WC_Gateway_Mupra::dargah_config(['api_key' => 'k1', 'accounts' => '["not", "an object"]'])['accounts']), 'accounts that are not a JSON object are left out');
check(Dargah_WC_Gateway_CanPay::dargah_config(['sandbox' => 'yes'])['accounts']['branch2']['merchant'] === 'sandbox-canpay-merchant-2', 'sandbox mode has the sandbox\'s second account as branch2');
$choice = $gateways['dargah_canpay'];
$choice->settings['account'] = 'branch2';
check($choice->account() === 'branch2', 'the payment method\'s account setting chooses the account');
$choice->settings['account'] = 'default';
check($choice->account() === null, 'default is the gateway\'s own credentials');
$disabled = $gateways['dargah_mupra'];
$disabled->settings['sandbox'] = 'no';
check(!$disabled->is_available(), 'an unconfigured gateway is not offered');

global $wpdb;
check($config['store'] === 'mysql://dargah:dargah@' . DB_HOST . '/' . DB_NAME && $config['table_prefix'] === 'wpt_dargah_', "the store is WordPress's database, under the site's table prefix");
Dargah_WC_Config::client()->payments();
check($wpdb->get_var("SHOW TABLES LIKE 'wpt_dargah_payments'") === 'wpt_dargah_payments', "Dargah's tables sit beside WordPress's");
check(Dargah_WC_Config::store_url_for('db.example:3307', 'u@x', 'p:w/d', 'shop db') === 'mysql://u%40x:p%3Aw%2Fd@db.example:3307/shop%20db', 'user, password and database are escaped');
check(Dargah_WC_Config::store_url_for('localhost:/run/mysqld/mysqld.sock', 'u', 'p', 'd') === 'mysql://u:p@localhost:3306/d?socket=%2Frun%2Fmysqld%2Fmysqld.sock', 'host:/socket');
check(Dargah_WC_Config::store_url_for('[::1]:3310', 'u', 'p', 'd') === 'mysql://u:p@[::1]:3310/d', 'IPv6 with a port');

check((FeaturesUtil::$declared['custom_order_tables']['dargah-woocommerce/dargah-woocommerce.php'] ?? false) === true, 'HPOS declared compatible');
check((FeaturesUtil::$declared['cart_checkout_blocks']['dargah-woocommerce/dargah-woocommerce.php'] ?? false) === true, 'Cart and Checkout blocks declared compatible');

$registry = Automattic\WooCommerce\Blocks\Package::$registry;
check(array_keys($registry->registered) === ['dargah_vandar', 'dargah_mupra', 'dargah_canpay', 'dargah_atipay'], 'one Blocks integration per gateway');
$data = $registry->get_all_registered_script_data();
check(($data['dargah_vandar_data']['title'] ?? '') === 'Pay with Vandar' && $data['dargah_vandar_data']['supports'] === ['products', 'refunds'], 'the block script gets title and features');
check(!isset($data['dargah_mupra_data']), 'an unavailable gateway is not active in the blocks');
$handles = $registry->registered['dargah_atipay']->get_payment_method_script_handles();
$script = wp_scripts()->registered[$handles[0]];
check(str_ends_with(parse_url($script->src, PHP_URL_PATH), '/dargah-woocommerce/assets/js/blocks.js') && in_array('wc-blocks-registry', $script->deps, true), 'the block script is registered, with its WooCommerce dependencies');

check(Dargah_WC_Gateway::mobile('۰۹۱۲ ۱۲۳ ۴۵۶۷') === '09121234567' && Dargah_WC_Gateway::mobile('+98 912 123 4567') === '09121234567', 'mobile numbers in Persian digits or with +98');
check(Dargah_WC_Gateway::mobile('021 1234 5678') === null, 'a landline is no mobile');
?>
--EXPECT--
ok - four gateways registered through woocommerce_payment_gateways
ok - all on the one base class
ok - Mupra: title, description, sandbox, debug and its api_key
ok - CanPay: its merchant code
ok - AtiPay: its apiKey and terminal id
ok - Vandar: IPG key and business API credentials
ok - only Vandar refunds from the order screen
ok - the others say refunds are manual
ok - the title comes from the settings
ok - IRR: offered
ok - IRT: offered
ok - IRHR: offered
ok - IRHT: offered
ok - USD: hidden
ok - EUR: hidden
ok - sandbox mode points every gateway at the sandbox
ok - credentials become the gateway section
ok - a gateway missing a credential is not configured
ok - the sandbox address defaults to dargah sandbox --port 8700
ok - further merchant accounts become the gateway's named accounts
ok - accounts that are not a JSON object are left out
ok - sandbox mode has the sandbox's second account as branch2
ok - the payment method's account setting chooses the account
ok - default is the gateway's own credentials
ok - an unconfigured gateway is not offered
ok - the store is WordPress's database, under the site's table prefix
ok - Dargah's tables sit beside WordPress's
ok - user, password and database are escaped
ok - host:/socket
ok - IPv6 with a port
ok - HPOS declared compatible
ok - Cart and Checkout blocks declared compatible
ok - one Blocks integration per gateway
ok - the block script gets title and features
ok - an unavailable gateway is not active in the blocks
ok - the block script is registered, with its WooCommerce dependencies
ok - mobile numbers in Persian digits or with +98
ok - a landline is no mobile
