<?php
/**
 * Plugin Name: Dargah test settings (tests only)
 * Description: Lets the tests reconcile at once: a payment is reconciled from its first second (not after 2 minutes), and the job recurs every second (the tests run the queue themselves).
 *
 * @package Dargah_WooCommerce_Tests
 */

add_filter( 'dargah_wc_reconcile_min_age', fn() => 0 );
add_filter( 'dargah_wc_reconcile_interval', fn() => 1 );
