<?php
/**
 * Deleting the plugin (Plugins > Delete): its settings and its scheduled
 * reconcile job go. Dargah's payment records (the {prefix}dargah_* tables)
 * stay, so that a payment can still be checked or refunded in the
 * gateway's panel from its reference, unless the owner ticked "Delete
 * payment records" in any Dargah gateway's settings.
 *
 * WordPress runs this file alone: the plugin itself is not loaded.
 *
 * @package Dargah_WooCommerce
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

$dargah_wc_slugs       = array( 'vandar', 'mupra', 'canpay', 'atipay' );
$dargah_wc_drop_tables = false;
foreach ( $dargah_wc_slugs as $dargah_wc_slug ) {
	$dargah_wc_settings    = get_option( "woocommerce_dargah_{$dargah_wc_slug}_settings", array() );
	$dargah_wc_drop_tables = $dargah_wc_drop_tables || ( is_array( $dargah_wc_settings ) && 'yes' === ( $dargah_wc_settings['delete_records'] ?? 'no' ) );
	delete_option( "woocommerce_dargah_{$dargah_wc_slug}_settings" );
}
// The review queue's table version and the needs-review e-mail's settings (Dargah_WC_Review, Dargah_WC_Email_Needs_Review).
delete_option( 'dargah_wc_reviews_db' );
delete_option( 'woocommerce_dargah_needs_review_settings' );

// The reconcile job (Dargah_WC_Plugin::RECONCILE_HOOK) is an Action Scheduler action of WooCommerce's.
if ( function_exists( 'as_unschedule_all_actions' ) ) {
	as_unschedule_all_actions( 'dargah_wc_reconcile', array(), 'dargah' );
}
wp_clear_scheduled_hook( 'dargah_wc_reconcile' );

if ( $dargah_wc_drop_tables ) {
	global $wpdb;
	// Every table Dargah made beside WordPress's (Dargah_WC_Config's table prefix "{prefix}dargah_").
	$dargah_wc_tables = $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'dargah_' ) . '%' ) );
	foreach ( $dargah_wc_tables as $dargah_wc_table ) {
		$wpdb->query( 'DROP TABLE IF EXISTS `' . str_replace( '`', '``', $dargah_wc_table ) . '`' ); // phpcs:ignore WordPress.DB.PreparedSQL -- a table name from SHOW TABLES.
	}
}
