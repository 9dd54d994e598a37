--TEST--
Settings and secrets: secrets never printed back, further accounts as fields, https-only addresses, the token key from wp-config.php, TLS to the database as WordPress's
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';

$gateway = new Dargah_WC_Gateway_Vandar();
$saved = get_option($gateway->get_option_key());
$post = fn(array $fields) => $gateway->set_post_data(array_combine(array_map(fn($k) => $gateway->get_field_key($k), array_keys($fields)), $fields) + ['woocommerce_dargah_vandar_sandbox' => '1', 'woocommerce_dargah_vandar_enabled' => '1']);
$html = fn() => $gateway->generate_settings_html($gateway->get_form_fields(), false);

// ---- a secret: typed once, saved, never in the page again; an empty submit keeps it.
$post(['api_key' => 'IPG-SECRET-1', 'access_token' => 'ACCESS-SECRET-1', 'business' => 'shop', 'sandbox_url' => getenv('SANDBOX_URL')]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->get_option('api_key') === 'IPG-SECRET-1', 'a secret is saved');
$page = $html();
check(!str_contains($page, 'IPG-SECRET-1') && !str_contains($page, 'ACCESS-SECRET-1') && str_contains($page, 'type="password"') && str_contains($page, 'Saved. Type a new value to replace it.'), 'the settings page never prints a saved secret: a placeholder says it is saved');
check(str_contains($page, 'value="shop"'), 'plain settings are shown as saved');
check(str_contains($page, '<input type="checkbox" name="woocommerce_dargah_vandar_api_key_remove" value="1">') && !str_contains($page, 'name="woocommerce_dargah_vandar_refresh_token_remove"'), 'a saved secret has a "remove" box; an empty one has none');
$post(['api_key' => '', 'access_token' => '', 'business' => 'shop', 'sandbox_url' => getenv('SANDBOX_URL')]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->get_option('api_key') === 'IPG-SECRET-1' && $gateway->get_option('access_token') === 'ACCESS-SECRET-1', 'an empty secret field keeps the saved secret');
$post(['api_key' => 'IPG-SECRET-2', 'access_token' => '', 'access_token_remove' => '1', 'business' => 'shop', 'sandbox_url' => getenv('SANDBOX_URL')]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->get_option('api_key') === 'IPG-SECRET-2' && $gateway->get_option('access_token') === '', 'a new value replaces a secret; "remove" forgets one');

// ---- further merchant accounts: a row of fields per account, secrets never printed back.
$gateway->set_post_data([
    'woocommerce_dargah_vandar_api_key' => '', 'woocommerce_dargah_vandar_sandbox_url' => getenv('SANDBOX_URL'), 'woocommerce_dargah_vandar_sandbox' => '1',
    'woocommerce_dargah_vandar_accounts' => [['was' => '', 'name' => 'branch2', 'api_key' => 'BRANCH2-SECRET', 'business' => 'shop2'], ['was' => '', 'name' => '']],
]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->settings['accounts'] === ['branch2' => ['api_key' => 'BRANCH2-SECRET', 'business' => 'shop2']], 'an account saved from its fields');
$page = $html();
check(!str_contains($page, 'BRANCH2-SECRET') && str_contains($page, 'value="branch2"') && str_contains($page, 'value="shop2"') && !str_contains($page, '<textarea'), 'the accounts table shows names and plain fields, no secret, no JSON textarea');
check(Dargah_WC_Gateway_Vandar::named_accounts($gateway->settings) === ['branch2' => ['api_key' => 'BRANCH2-SECRET', 'business' => 'shop2']], "the account becomes Dargah's named account");
$gateway->set_post_data(['woocommerce_dargah_vandar_sandbox_url' => getenv('SANDBOX_URL'), 'woocommerce_dargah_vandar_sandbox' => '1',
    'woocommerce_dargah_vandar_accounts' => [['was' => 'branch2', 'name' => 'branch3', 'api_key' => '', 'business' => 'shop3']]]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->settings['accounts'] === ['branch3' => ['api_key' => 'BRANCH2-SECRET', 'business' => 'shop3']], 'renamed, with its secret kept from an empty field');
$errors = count(WC_Admin_Settings::get_errors());
$gateway->set_post_data(['woocommerce_dargah_vandar_sandbox_url' => getenv('SANDBOX_URL'), 'woocommerce_dargah_vandar_sandbox' => '1',
    'woocommerce_dargah_vandar_accounts' => [['was' => '', 'name' => 'Bad Name!', 'api_key' => 'x']]]);
$gateway->process_admin_options();
$gateway->init_settings();
check(count(WC_Admin_Settings::get_errors()) === $errors + 1 && str_contains(end($gateway->errors), 'cannot be an account name') && !str_contains(end($gateway->errors), 'Bad Name!') && isset($gateway->settings['accounts']['branch3']), 'a bad account name is a settings error that does not show it back; the saved accounts stay');
$gateway->set_post_data(['woocommerce_dargah_vandar_sandbox_url' => getenv('SANDBOX_URL'), 'woocommerce_dargah_vandar_sandbox' => '1',
    'woocommerce_dargah_vandar_accounts' => [['was' => 'branch3', 'name' => 'branch3', 'remove' => '1']]]);
$gateway->process_admin_options();
$gateway->init_settings();
check($gateway->settings['accounts'] === [], 'an account is removed');
check(Dargah_WC_Gateway_Mupra::named_accounts(['accounts' => '{"branch2": {"api_key": "k2", "base_url": "http://10.0.0.9/"}}']) === ['branch2' => ['api_key' => 'k2']], 'accounts saved as JSON by an earlier version are read, without base URLs');

// ---- addresses: https, or plain http to this server in sandbox mode only.
foreach (['http://127.0.0.1:8700' => true, 'http://localhost:8700' => true, 'http://[::1]:8700' => true, 'https://sandbox.example' => true, 'http://10.0.0.9:8700' => false, 'http://sandbox.example' => false, 'ftp://127.0.0.1' => false, 'http://127.0.0.1.example.com:8700' => false, 'http://127.example.com' => false] as $url => $ok) {
    check((Dargah_WC_Gateway::sandbox_url_problem($url) === null) === $ok, "sandbox address $url: " . ($ok ? 'accepted' : 'refused'));
}
$gateway->set_post_data(['woocommerce_dargah_vandar_sandbox_url' => 'http://10.0.0.9:8700', 'woocommerce_dargah_vandar_sandbox' => '1']);
$gateway->process_admin_options();
$gateway->init_settings();
$settings_errors = WC_Admin_Settings::get_errors();
check(str_contains(end($settings_errors), 'must use https') && $gateway->get_option('sandbox_url') === getenv('SANDBOX_URL'), 'plain http off this server is a settings error; the saved address stays');
check(Dargah_WC_Gateway_Vandar::dargah_config(['sandbox' => 'yes', 'sandbox_url' => 'http://10.0.0.9:8700']) === null, 'a plain-http address saved by hand is not used');
update_option($gateway->get_option_key(), $saved);

// ---- the token key: DARGAH_WC_TOKEN_KEY, or wp-config.php's salts; never salts kept in the database.
$key = Dargah_WC_Config::config()['token_encryption_key'] ?? null;
check($key === hash_hmac('sha256', 'dargah token_encryption_key', SECURE_AUTH_KEY . SECURE_AUTH_SALT) && $key === hash_hmac('sha256', 'dargah token_encryption_key', wp_salt('secure_auth')), "the key derives from wp-config.php's SECURE_AUTH_KEY and SECURE_AUTH_SALT");
check(Dargah_WC_Config::token_key_from_salts(null, str_repeat('s', 64)) === null && Dargah_WC_Config::token_key_from_salts('put your unique phrase here', str_repeat('s', 64)) === null && Dargah_WC_Config::token_key_from_salts('short', str_repeat('s', 64)) === null, 'no salts in wp-config.php (or the placeholder): no key');
update_option('secure_auth_key', str_repeat('k', 64));
update_option('secure_auth_salt', str_repeat('s', 64));
check(Dargah_WC_Config::token_key() === $key, "salts in the options table are never used");

// ---- TLS to the database when WordPress's connection uses it (DB_SSL, MYSQL_CLIENT_FLAGS).
check(Dargah_WC_Config::wants_tls(false, MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_COMPRESS) && Dargah_WC_Config::wants_tls(true, 0) && !Dargah_WC_Config::wants_tls(false, MYSQLI_CLIENT_COMPRESS), "TLS when MYSQL_CLIENT_FLAGS has MYSQLI_CLIENT_SSL, or DB_SSL is true");
check(Dargah_WC_Config::store_url_for('db.example:3307', 'u', 'p', 'd', true) === 'mysql://u:p@db.example:3307/d?ssl-mode=REQUIRED', 'TLS: ssl-mode=REQUIRED');
check(Dargah_WC_Config::store_url_for('db.example', 'u', 'p', 'd', true, '/etc/ssl/db-ca.pem') === 'mysql://u:p@db.example:3306/d?ssl-mode=REQUIRED&ssl-ca=%2Fetc%2Fssl%2Fdb-ca.pem', "TLS with MYSQL_SSL_CA's certificate authority");
check(Dargah_WC_Config::store_url_for('localhost:/run/mysqld/mysqld.sock', 'u', 'p', 'd', true) === 'mysql://u:p@localhost:3306/d?socket=%2Frun%2Fmysqld%2Fmysqld.sock', 'a local socket needs no TLS');
// The test database has no TLS: a store URL requiring it must refuse to connect, not fall back to plain text.
$script = tempnam(sys_get_temp_dir(), 'dargah-wc') . '.php';
file_put_contents($script, <<<'PHP'
<?php
define('DB_SSL', true); // Read by Dargah only: WordPress's own connection (MYSQL_CLIENT_FLAGS) would fail here.
require getenv('WC_UNIT_DIR') . '/bootstrap.inc';
check(str_contains(Dargah_WC_Config::store_url(), '?ssl-mode=REQUIRED'), 'DB_SSL: the store URL requires TLS');
try {
    (new Dargah\Client(['store' => Dargah_WC_Config::store_url(), 'table_prefix' => 'wpt_tls_dargah_']))->payments();
    check(false, 'a server without TLS is refused');
} catch (Dargah\Exception $e) {
    check(true, 'a server without TLS is refused, never used in plain text');
}
PHP);
putenv('WC_UNIT_DIR=' . __DIR__);
passthru(PHP_BINARY . ' -n ' . getenv('WC_PHP_BASE') . ' -d extension=' . escapeshellarg(getenv('DARGAH_SO')) . ' ' . escapeshellarg($script) . ' 2>&1');
unlink($script);
?>
--EXPECT--
ok - a secret is saved
ok - the settings page never prints a saved secret: a placeholder says it is saved
ok - plain settings are shown as saved
ok - a saved secret has a "remove" box; an empty one has none
ok - an empty secret field keeps the saved secret
ok - a new value replaces a secret; "remove" forgets one
ok - an account saved from its fields
ok - the accounts table shows names and plain fields, no secret, no JSON textarea
ok - the account becomes Dargah's named account
ok - renamed, with its secret kept from an empty field
ok - a bad account name is a settings error that does not show it back; the saved accounts stay
ok - an account is removed
ok - accounts saved as JSON by an earlier version are read, without base URLs
ok - sandbox address http://127.0.0.1:8700: accepted
ok - sandbox address http://localhost:8700: accepted
ok - sandbox address http://[::1]:8700: accepted
ok - sandbox address https://sandbox.example: accepted
ok - sandbox address http://10.0.0.9:8700: refused
ok - sandbox address http://sandbox.example: refused
ok - sandbox address ftp://127.0.0.1: refused
ok - sandbox address http://127.0.0.1.example.com:8700: refused
ok - sandbox address http://127.example.com: refused
ok - plain http off this server is a settings error; the saved address stays
ok - a plain-http address saved by hand is not used
ok - the key derives from wp-config.php's SECURE_AUTH_KEY and SECURE_AUTH_SALT
ok - no salts in wp-config.php (or the placeholder): no key
ok - salts in the options table are never used
ok - TLS when MYSQL_CLIENT_FLAGS has MYSQLI_CLIENT_SSL, or DB_SSL is true
ok - TLS: ssl-mode=REQUIRED
ok - TLS with MYSQL_SSL_CA's certificate authority
ok - a local socket needs no TLS
ok - DB_SSL: the store URL requires TLS
ok - a server without TLS is refused, never used in plain text
