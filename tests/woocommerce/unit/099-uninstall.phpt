--TEST--
Uninstall: the plugin's settings and scheduled job go; the payment records stay unless "Delete payment records" is ticked
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';
global $wpdb;

$slugs = array_keys(Dargah_WC_Plugin::GATEWAYS);
$settings = [];
foreach ($slugs as $slug) {
    $settings[$slug] = get_option("woocommerce_dargah_{$slug}_settings");
}
$tables = fn() => $wpdb->get_col("SHOW TABLES LIKE 'wpt\\_dargah\\_%'");
Dargah_WC_Config::client()->payments(); // Dargah's tables exist.
Dargah_WC_Review::rows(true); // The review queue's table exists.
$mail_settings = get_option('woocommerce_dargah_needs_review_settings');
update_option('woocommerce_dargah_needs_review_settings', ['enabled' => 'yes']);
$uninstall = function () {
    defined('WP_UNINSTALL_PLUGIN') || define('WP_UNINSTALL_PLUGIN', 'dargah-woocommerce/dargah-woocommerce.php');
    include WP_PLUGIN_DIR . '/dargah-woocommerce/uninstall.php';
};
check(as_has_scheduled_action(Dargah_WC_Plugin::RECONCILE_HOOK, [], 'dargah') && in_array('wpt_dargah_payments', $tables(), true), 'before: the job is scheduled, the payments table is there');

$uninstall();
check(array_filter($slugs, fn($s) => get_option("woocommerce_dargah_{$s}_settings") !== false) === [], "every gateway's settings are deleted");
check(!as_has_scheduled_action(Dargah_WC_Plugin::RECONCILE_HOOK, [], 'dargah'), 'the reconcile job is unscheduled');
check(get_option('dargah_wc_reviews_db') === false && get_option('woocommerce_dargah_needs_review_settings') === false, "the review queue's and the e-mail's options are deleted");
check(in_array('wpt_dargah_payments', $tables(), true) && in_array('wpt_dargah_wc_reviews', $tables(), true), 'the payment records and the review queue are kept by default');

update_option('woocommerce_dargah_canpay_settings', ['delete_records' => 'yes'] + $settings['canpay']);
$uninstall();
check($tables() === [] && get_option('woocommerce_dargah_canpay_settings') === false, '"Delete payment records" ticked: every Dargah table is dropped');

// Back as it was for the tests that follow (Dargah makes its tables again on first use).
foreach ($settings as $slug => $value) {
    update_option("woocommerce_dargah_{$slug}_settings", $value);
}
if (false !== $mail_settings) {
    update_option('woocommerce_dargah_needs_review_settings', $mail_settings);
}
Dargah_WC_Plugin::schedule_reconcile();
Dargah_WC_Review::rows(true);
check(in_array('wpt_dargah_wc_reviews', $tables(), true), 'the review queue is made again on first use');
?>
--EXPECT--
ok - before: the job is scheduled, the payments table is there
ok - every gateway's settings are deleted
ok - the reconcile job is unscheduled
ok - the review queue's and the e-mail's options are deleted
ok - the payment records and the review queue are kept by default
ok - "Delete payment records" ticked: every Dargah table is dropped
ok - the review queue is made again on first use
