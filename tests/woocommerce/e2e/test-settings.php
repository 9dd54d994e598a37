<?php
/**
 * Plugin Name: Dargah test settings (tests only)
 * Description: Lets the tests reconcile at once: a payment is reconciled from its first second (not after 2 minutes), and the job recurs every second (the tests run the queue themselves). Mail is recorded in uploads/test-mails.log, never sent. Another plugin's failing payment hook, for the one order the option dargah_test_fail_payment_complete names.
 *
 * @package Dargah_WooCommerce_Tests
 */

add_filter( 'dargah_wc_reconcile_min_age', fn() => 0 );
add_filter( 'dargah_wc_reconcile_interval', fn() => 1 );

/*
 * No mail leaves the test machine: wp_mail() records each message as a JSON
 * line in uploads/test-mails.log (what the tests count) and reports it sent.
 */
add_filter(
	'pre_wp_mail',
	function ( $short_circuit, $atts ) {
		$dir = WP_CONTENT_DIR . '/uploads';
		wp_mkdir_p( $dir );
		file_put_contents( "$dir/test-mails.log", wp_json_encode( $atts ) . "\n", FILE_APPEND | LOCK_EX );
		return true;
	},
	10,
	2
);

/*
 * Another plugin's woocommerce_pre_payment_complete hook failing, for the one
 * order the tests name in the option dargah_test_fail_payment_complete:
 * WooCommerce catches the exception in payment_complete() and answers false.
 */
add_action(
	'woocommerce_pre_payment_complete',
	function ( $order_id ) {
		if ( (int) get_option( 'dargah_test_fail_payment_complete' ) === (int) $order_id ) {
			throw new RuntimeException( 'a test plugin failed' );
		}
	}
);
