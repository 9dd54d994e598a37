<?php
/*
 * The plugin zip from the packages, in WordPress from Debian's `wordpress`
 * package inside the clean root: install the site, activate the plugin as the
 * admin's Plugins screen does (activate_plugin() checks its headers), and say
 * what it found. WooCommerce is not here (no Debian package carries it): the
 * plugin must activate, load with the packaged extension, and stay quiet.
 *
 *   php wordpress.php WP_DIR
 */
declare(strict_types=1);

define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = 'localhost';
$_SERVER['REQUEST_URI'] = '/';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

wp_install('Dargah docs test', 'admin', 'admin@example.invalid', false, '', wp_generate_password(20));
$plugin = 'dargah-woocommerce/dargah-woocommerce.php';
$result = activate_plugin($plugin);
if (is_wp_error($result)) {
    fwrite(STDERR, 'activation failed: ' . $result->get_error_message() . "\n");
    exit(1);
}
$data = get_plugin_data(WP_PLUGIN_DIR . '/' . $plugin, false, false);
printf(
    "WordPress %s, plugin %s %s active: %s, extension dargah %s\n",
    get_bloginfo('version'),
    $data['Name'],
    $data['Version'],
    is_plugin_active($plugin) ? 'yes' : 'no',
    phpversion('dargah') ?: 'not loaded'
);
exit(is_plugin_active($plugin) && phpversion('dargah') ? 0 : 1);
