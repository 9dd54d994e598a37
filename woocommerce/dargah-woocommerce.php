<?php
/**
 * Plugin Name:          Dargah for WooCommerce
 * Plugin URI:           https://github.com/dargah/dargah
 * Description:          Vandar, Mupra, CanPay and AtiPay payments for WooCommerce on the Dargah PHP extension: every order credited exactly once, none lost.
 * Version:              0.1.0
 * Author:               Dargah
 * License:              MIT
 * Text Domain:          dargah-woocommerce
 * Domain Path:          /languages
 * Requires at least:    6.1
 * Requires PHP:         8.1
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.2
 * WC tested up to:      11.0
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

define( 'DARGAH_WC_VERSION', '0.1.0' );
define( 'DARGAH_WC_FILE', __FILE__ );
define( 'DARGAH_WC_DIR', __DIR__ );

require_once __DIR__ . '/includes/class-dargah-wc-plugin.php';

Dargah_WC_Plugin::boot();

// The reconcile job is scheduled on the first request after activation (schedule_reconcile()).

register_deactivation_hook( __FILE__, array( 'Dargah_WC_Plugin', 'deactivate' ) );
