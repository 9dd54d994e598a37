<?php
/**
 * The plugin's wiring: which WordPress and WooCommerce hooks it uses, and for what.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Plugin {

	/** The recurring Action Scheduler job that reconciles and credits. */
	const RECONCILE_HOOK = 'dargah_wc_reconcile';

	/** Gateway slug (Dargah's name) => gateway class. */
	const GATEWAYS = array(
		'vandar' => 'Dargah_WC_Gateway_Vandar',
		'mupra'  => 'Dargah_WC_Gateway_Mupra',
		'canpay' => 'Dargah_WC_Gateway_CanPay',
		'atipay' => 'Dargah_WC_Gateway_AtiPay',
	);

	/** The refund WooCommerce is creating right now (see capture_refund()). */
	private static ?WC_Order_Refund $current_refund = null;

	public static function boot(): void {
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		add_action( 'before_woocommerce_init', array( __CLASS__, 'declare_compatibility' ) );
		add_action( 'plugins_loaded', array( __CLASS__, 'on_plugins_loaded' ) );
		// WooCommerce fires this from its own plugins_loaded callback: hook it before.
		add_action( 'woocommerce_blocks_loaded', array( __CLASS__, 'register_blocks_support' ) );
	}

	public static function load_textdomain(): void {
		load_plugin_textdomain( 'dargah-woocommerce', false, dirname( plugin_basename( DARGAH_WC_FILE ) ) . '/languages' );
	}

	/** HPOS and the Cart/Checkout blocks: all order data goes through WC_Order CRUD. */
	public static function declare_compatibility(): void {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', DARGAH_WC_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', DARGAH_WC_FILE, true );
		}
	}

	/** Is the dargah PHP extension loaded? Without it the plugin offers no gateway. */
	public static function extension_loaded(): bool {
		return extension_loaded( 'dargah' ) && class_exists( 'Dargah\Client' );
	}

	public static function on_plugins_loaded(): void {
		if ( ! class_exists( 'WooCommerce' ) ) {
			add_action( 'admin_notices', array( __CLASS__, 'notice_no_woocommerce' ) );
			return;
		}
		if ( ! self::extension_loaded() ) {
			add_action( 'admin_notices', array( __CLASS__, 'notice_no_extension' ) );
			// A customer coming back from a gateway reads a page, not WooCommerce's bare "-1".
			require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-callback.php';
			foreach ( array_keys( self::GATEWAYS ) as $slug ) {
				add_action( "woocommerce_api_dargah_$slug", array( 'Dargah_WC_Callback', 'extension_missing' ) );
			}
			return;
		}
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-currency.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-config.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-log.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-orders.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-callback.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-admin.php';
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-review.php';
		require_once DARGAH_WC_DIR . '/includes/abstract-class-dargah-wc-gateway.php';
		foreach ( array_keys( self::GATEWAYS ) as $slug ) {
			require_once DARGAH_WC_DIR . "/includes/gateways/class-dargah-wc-gateway-$slug.php";
		}

		add_filter( 'woocommerce_payment_gateways', array( __CLASS__, 'add_gateways' ) );
		foreach ( array_keys( self::GATEWAYS ) as $slug ) {
			// Gateways send the customer back here: WC()->api_request_url( 'dargah_<slug>' ).
			add_action( "woocommerce_api_dargah_$slug", array( 'Dargah_WC_Callback', "handle_$slug" ) );
			add_action( "woocommerce_receipt_dargah_$slug", array( 'Dargah_WC_Callback', 'receipt_page' ) );
		}
		add_action( 'template_redirect', array( 'Dargah_WC_Callback', 'show_return_notice' ) );

		add_action( 'action_scheduler_init', array( __CLASS__, 'schedule_reconcile' ) );
		add_action( self::RECONCILE_HOOK, array( 'Dargah_WC_Orders', 'reconcile' ) );
		add_filter( 'woocommerce_cancel_unpaid_order', array( 'Dargah_WC_Orders', 'veto_cancel_unpaid' ), 10, 2 );
		add_action( 'woocommerce_create_refund', array( __CLASS__, 'capture_refund' ), 10, 1 );

		add_action( 'add_meta_boxes', array( 'Dargah_WC_Admin', 'add_meta_box' ) );

		// The owner's review queue: WooCommerce → Dargah payments, a notice, an e-mail per payment.
		add_action( 'admin_menu', array( 'Dargah_WC_Review', 'add_menu' ) );
		add_action( 'admin_notices', array( 'Dargah_WC_Review', 'notice' ) );
		add_filter( 'woocommerce_email_classes', array( 'Dargah_WC_Review', 'register_email' ) );
		add_action( Dargah_WC_Review::ACTION, array( 'Dargah_WC_Review', 'send_email' ), 10, 3 );
	}

	/** @param array<int, string|object> $gateways */
	public static function add_gateways( $gateways ) {
		foreach ( self::GATEWAYS as $class ) {
			$gateways[] = $class;
		}
		return $gateways;
	}

	/** Every minute, as a unique recurring action; no system cron needed. */
	public static function schedule_reconcile(): void {
		if ( ! function_exists( 'as_has_scheduled_action' ) || as_has_scheduled_action( self::RECONCILE_HOOK, array(), 'dargah' ) ) {
			return;
		}
		$interval = max( 1, (int) apply_filters( 'dargah_wc_reconcile_interval', MINUTE_IN_SECONDS ) );
		as_schedule_recurring_action( time(), $interval, self::RECONCILE_HOOK, array(), 'dargah', true );
	}

	public static function deactivate(): void {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( self::RECONCILE_HOOK, array(), 'dargah' );
		}
	}

	/**
	 * WooCommerce saves the refund, then calls process_refund() without its
	 * id; the refund passes through this action just before that save, so the
	 * gateway can key the gateway refund on the WooCommerce refund's id.
	 */
	public static function capture_refund( $refund ): void {
		self::$current_refund = $refund instanceof WC_Order_Refund ? $refund : null;
	}

	/** The id of the refund being processed, or 0 when unknown. */
	public static function current_refund_id( WC_Order $order ): int {
		if ( self::$current_refund && self::$current_refund->get_id() && self::$current_refund->get_parent_id() === $order->get_id() ) {
			return self::$current_refund->get_id();
		}
		$refunds = $order->get_refunds(); // Newest first.
		return $refunds ? $refunds[0]->get_id() : 0;
	}

	public static function register_blocks_support(): void {
		if ( ! self::extension_loaded() || ! class_exists( \Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType::class ) ) {
			return;
		}
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-blocks-support.php';
		add_action(
			'woocommerce_blocks_payment_method_type_registration',
			function ( $registry ) {
				foreach ( array_keys( self::GATEWAYS ) as $slug ) {
					$registry->register( new Dargah_WC_Blocks_Support( "dargah_$slug" ) );
				}
			}
		);
	}

	public static function notice_no_extension(): void {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
			esc_html__( 'Dargah for WooCommerce:', 'dargah-woocommerce' ),
			esc_html__( 'the dargah PHP extension is not loaded, so no Dargah payment method is offered. Install libdargah and the extension, add "extension=dargah" to PHP\'s configuration and restart PHP-FPM.', 'dargah-woocommerce' ),
			esc_url( 'https://github.com/dargah/dargah/blob/main/docs/woocommerce.md' ),
			esc_html__( 'How to install it', 'dargah-woocommerce' )
		);
	}

	/** The plugin header's name and description, here so that they are in the translation template too. */
	public static function header_strings(): array {
		return array(
			__( 'Dargah for WooCommerce', 'dargah-woocommerce' ),
			__( 'Vandar, Mupra, CanPay and AtiPay payments for WooCommerce on the Dargah PHP extension: every order credited exactly once, none lost.', 'dargah-woocommerce' ),
		);
	}

	public static function notice_no_woocommerce(): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p><strong>%1$s</strong> %2$s</p></div>',
			esc_html__( 'Dargah for WooCommerce:', 'dargah-woocommerce' ),
			esc_html__( 'WooCommerce is not active, so no Dargah payment method is offered.', 'dargah-woocommerce' )
		);
	}
}
