<?php
/**
 * Plugin Name: WooCommerce stand-in (tests only)
 * Description: Exactly the WooCommerce functions and classes Dargah for WooCommerce calls, with WooCommerce's signatures and documented behaviour, plus the bits of WooCommerce's request flow the plugin relies on (checkout calling process_payment, the order-pay page's woocommerce_receipt_* hook, the wc-api endpoint, Action Scheduler's queue runner). Orders live in two tables of their own, read and written only through the CRUD classes, as with HPOS.
 *
 * Loaded as a must-use plugin by tests/woocommerce; never shipped. Checked against
 * WooCommerce 11.0.1 (see docs/woocommerce.md, "How it is tested").
 *
 * @package Dargah_WooCommerce_Tests
 */

// phpcs:disable Generic.Files.OneObjectStructurePerFile

namespace {

	defined( 'ABSPATH' ) || exit;

	define( 'WC_VERSION', '11.0.1' );

	/* ------------------------------------------------------------------ storage */

	/** The two tables the stand-in keeps orders (and refunds) and their notes in. */
	function standin_wc_install(): void {
		global $wpdb;
		if ( wp_installing() || get_option( 'standin_wc_db' ) === '1' ) {
			return;
		}
		$charset = $wpdb->get_charset_collate();
		$wpdb->query(
			"CREATE TABLE IF NOT EXISTS {$wpdb->prefix}standin_wc_orders (
				id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
				type VARCHAR(20) NOT NULL,
				parent_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
				data LONGTEXT NOT NULL,
				meta LONGTEXT NOT NULL
			) $charset"
		);
		$wpdb->query(
			"CREATE TABLE IF NOT EXISTS {$wpdb->prefix}standin_wc_order_notes (
				id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
				order_id BIGINT UNSIGNED NOT NULL,
				content TEXT NOT NULL,
				customer_note TINYINT NOT NULL DEFAULT 0,
				added_by VARCHAR(60) NOT NULL,
				date_created DATETIME NOT NULL
			) $charset"
		);
		// WC_Install::create_roles(): shop managers' capabilities for administrators.
		get_role( 'administrator' )->add_cap( 'manage_woocommerce' );
		get_role( 'administrator' )->add_cap( 'edit_others_shop_orders' );
		update_option( 'standin_wc_db', '1' );
	}

	/* ------------------------------------------------------------------ WooCommerce */

	final class WooCommerce {
		public string $version = WC_VERSION;
		/** WC_Session_Handler in WooCommerce; the stand-in has no sessions. */
		public $session = null;
		/** WC_Cart in WooCommerce (frontend requests); the stand-in has no cart. */
		public $cart = null;
		private static ?WooCommerce $instance = null;

		public static function instance(): WooCommerce {
			return self::$instance ??= new self();
		}

		/** @return WC_Payment_Gateways */
		public function payment_gateways() {
			return WC_Payment_Gateways::instance();
		}

		/** @return WC_Emails */
		public function mailer() {
			return WC_Emails::instance();
		}

		/** WooCommerce::api_request_url(), as in WooCommerce 11. */
		public function api_request_url( $request, $ssl = null ) {
			if ( is_null( $ssl ) ) {
				$scheme = wp_parse_url( home_url(), PHP_URL_SCHEME );
			} elseif ( $ssl ) {
				$scheme = 'https';
			} else {
				$scheme = 'http';
			}
			if ( strstr( get_option( 'permalink_structure' ), '/index.php/' ) ) {
				$api_request_url = trailingslashit( home_url( '/index.php/wc-api/' . $request, $scheme ) );
			} elseif ( get_option( 'permalink_structure' ) ) {
				$api_request_url = trailingslashit( home_url( '/wc-api/' . $request, $scheme ) );
			} else {
				$api_request_url = add_query_arg( 'wc-api', $request, trailingslashit( home_url( '', $scheme ) ) );
			}
			return esc_url_raw( apply_filters( 'woocommerce_api_request_url', $api_request_url, $request, $ssl ) );
		}
	}

	function WC() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName
		return WooCommerce::instance();
	}

	/* ------------------------------------------------------------------ settings and gateways */

	abstract class WC_Settings_API {
		public $plugin_id   = 'woocommerce_';
		public $id          = '';
		public $errors      = array();
		public $settings    = array();
		public $form_fields = array();
		protected $data     = array();

		public function get_form_fields() {
			return apply_filters( 'woocommerce_settings_api_form_fields_' . $this->id, array_map( array( $this, 'set_defaults' ), $this->form_fields ) );
		}

		protected function set_defaults( $field ) {
			if ( ! isset( $field['default'] ) ) {
				$field['default'] = '';
			}
			return $field;
		}

		public function init_form_fields() {}

		public function get_option_key() {
			return $this->plugin_id . $this->id . '_settings';
		}

		/** Saved settings over the form fields' defaults. */
		public function init_settings() {
			$this->settings = get_option( $this->get_option_key(), null );
			if ( ! is_array( $this->settings ) ) {
				$form_fields    = $this->get_form_fields();
				$this->settings = array_merge( array_fill_keys( array_keys( $form_fields ), '' ), wp_list_pluck( $form_fields, 'default' ) );
			}
		}

		public function get_option( $key, $empty_value = null ) {
			if ( empty( $this->settings ) ) {
				$this->init_settings();
			}
			if ( ! isset( $this->settings[ $key ] ) ) {
				$form_fields            = $this->get_form_fields();
				$this->settings[ $key ] = isset( $form_fields[ $key ] ) ? $this->get_field_default( $form_fields[ $key ] ) : '';
			}
			if ( ! is_null( $empty_value ) && '' === $this->settings[ $key ] ) {
				$this->settings[ $key ] = $empty_value;
			}
			return $this->settings[ $key ];
		}

		public function update_option( $key, $value = '' ) {
			if ( empty( $this->settings ) ) {
				$this->init_settings();
			}
			$this->settings[ $key ] = $value;
			return update_option( $this->get_option_key(), apply_filters( 'woocommerce_settings_api_sanitized_fields_' . $this->id, $this->settings ), 'yes' );
		}

		public function get_field_default( $field ) {
			return empty( $field['default'] ) ? '' : $field['default'];
		}

		public function get_field_key( $key ) {
			return $this->plugin_id . $this->id . '_' . $key;
		}

		/**
		 * Saves the posted settings as WooCommerce does: each field's value from
		 * validate_<key>_field(), validate_<type>_field() or validate_text_field();
		 * a validator's exception becomes an error and the field keeps its value.
		 */
		public function process_admin_options() {
			$this->init_settings();
			$post_data = $this->get_post_data();
			foreach ( $this->get_form_fields() as $key => $field ) {
				if ( 'title' !== $this->get_field_type( $field ) ) {
					try {
						$this->settings[ $key ] = $this->get_field_value( $key, $field, $post_data );
					} catch ( Exception $e ) {
						$this->add_error( $e->getMessage() );
					}
				}
			}
			return update_option( $this->get_option_key(), apply_filters( 'woocommerce_settings_api_sanitized_fields_' . $this->id, $this->settings ), 'yes' );
		}

		public function get_field_type( $field ) {
			return empty( $field['type'] ) ? 'text' : $field['type'];
		}

		public function get_field_value( $key, $field, $post_data = array() ) {
			$type      = $this->get_field_type( $field );
			$post_data = empty( $post_data ) ? $_POST : $post_data; // phpcs:ignore WordPress.Security.NonceVerification.Missing
			$value     = $post_data[ $this->get_field_key( $key ) ] ?? null;
			if ( is_callable( array( $this, 'validate_' . $key . '_field' ) ) ) {
				return $this->{'validate_' . $key . '_field'}( $key, $value );
			}
			if ( is_callable( array( $this, 'validate_' . $type . '_field' ) ) ) {
				return $this->{'validate_' . $type . '_field'}( $key, $value );
			}
			return $this->validate_text_field( $key, $value );
		}

		public function validate_text_field( $key, $value ) {
			return wp_kses_post( trim( stripslashes( is_null( $value ) ? '' : $value ) ) );
		}

		public function validate_password_field( $key, $value ) {
			return trim( stripslashes( is_null( $value ) ? '' : $value ) );
		}

		public function validate_textarea_field( $key, $value ) {
			return $this->validate_text_field( $key, $value );
		}

		public function validate_checkbox_field( $key, $value ) {
			return ! is_null( $value ) ? 'yes' : 'no';
		}

		public function add_error( $error ) {
			$this->errors[] = $error;
		}

		public function get_errors() {
			return $this->errors;
		}

		public function set_post_data( $data = array() ) {
			$this->data = $data;
		}

		public function get_post_data() {
			if ( ! empty( $this->data ) && is_array( $this->data ) ) {
				return $this->data;
			}
			return $_POST; // phpcs:ignore WordPress.Security.NonceVerification.Missing
		}

		/** The settings table's rows: generate_<type>_html() when the class has one, a text field otherwise. */
		public function generate_settings_html( $form_fields = array(), $echo = true ) {
			$html = '';
			foreach ( $form_fields ? $form_fields : $this->get_form_fields() as $k => $v ) {
				$type  = $this->get_field_type( $v );
				$html .= method_exists( $this, 'generate_' . $type . '_html' ) ? $this->{'generate_' . $type . '_html'}( $k, $v ) : $this->generate_text_html( $k, $v );
			}
			if ( ! $echo ) {
				return $html;
			}
			echo $html; // phpcs:ignore WordPress.Security.EscapeOutput
		}

		/** As WooCommerce's: the saved option is the input's value. */
		public function generate_text_html( $key, $data ) {
			$field_key = $this->get_field_key( $key );
			$data      = wp_parse_args( $data, array( 'title' => '', 'type' => 'text', 'description' => '', 'placeholder' => '', 'custom_attributes' => array() ) );
			$attrs     = '';
			foreach ( $data['custom_attributes'] as $name => $value ) {
				$attrs .= ' ' . esc_attr( $name ) . '="' . esc_attr( $value ) . '"';
			}
			return '<tr valign="top"><th scope="row" class="titledesc"><label for="' . esc_attr( $field_key ) . '">' . wp_kses_post( $data['title'] ) . '</label></th><td class="forminp"><fieldset>'
				. '<input class="input-text regular-input" type="' . esc_attr( $data['type'] ) . '" name="' . esc_attr( $field_key ) . '" id="' . esc_attr( $field_key ) . '" value="' . esc_attr( $this->get_option( $key ) ) . '" placeholder="' . esc_attr( $data['placeholder'] ) . '"' . $attrs . '>'
				. ( $data['description'] ? '<p class="description">' . wp_kses_post( $data['description'] ) . '</p>' : '' ) . '</fieldset></td></tr>';
		}

		public function generate_password_html( $key, $data ) {
			$data['type'] = 'password';
			return $this->generate_text_html( $key, $data );
		}

		public function generate_checkbox_html( $key, $data ) {
			$field_key = $this->get_field_key( $key );
			return '<tr valign="top"><th scope="row" class="titledesc">' . wp_kses_post( $data['title'] ?? '' ) . '</th><td class="forminp"><label for="' . esc_attr( $field_key ) . '"><input type="checkbox" name="' . esc_attr( $field_key ) . '" id="' . esc_attr( $field_key ) . '" value="1"' . checked( $this->get_option( $key ), 'yes', false ) . '> ' . wp_kses_post( $data['label'] ?? '' ) . '</label></td></tr>';
		}

		/** The gateway's section of WooCommerce > Settings > Payments. */
		public function admin_options() {
			echo '<h2>' . esc_html( $this->method_title ?? '' ) . '</h2><table class="form-table">' . $this->generate_settings_html( $this->get_form_fields(), false ) . '</table>'; // phpcs:ignore WordPress.Security.EscapeOutput
		}
	}

	/** WooCommerce's settings page messages (WC_Admin_Settings::add_error, shown above the settings). */
	final class WC_Admin_Settings {
		private static array $errors = array();

		public static function add_error( $text ) {
			self::$errors[] = $text;
		}

		public static function get_errors(): array {
			return self::$errors;
		}

		public static function show_messages() {
			foreach ( self::$errors as $error ) {
				echo '<div id="message" class="error inline"><p><strong>' . esc_html( $error ) . '</strong></p></div>';
			}
		}
	}

	abstract class WC_Payment_Gateway extends WC_Settings_API {
		public $order_button_text;
		public $enabled = 'yes';
		public $title;
		public $description;
		public $chosen;
		public $method_title       = '';
		public $method_description = '';
		public $has_fields;
		public $countries;
		public $availability;
		public $icon;
		public $supports   = array( 'products' );
		public $max_amount = 0;
		public $view_transaction_url = '';
		public $new_method_label     = '';

		public function init_settings() {
			parent::init_settings();
			$this->enabled = ! empty( $this->settings['enabled'] ) && 'yes' === $this->settings['enabled'] ? 'yes' : 'no';
		}

		public function get_return_url( $order = null ) {
			if ( $order ) {
				$return_url = $order->get_checkout_order_received_url();
			} else {
				$return_url = add_query_arg( 'standin', 'order-received', home_url( '/' ) );
			}
			return apply_filters( 'woocommerce_get_return_url', $return_url, $order );
		}

		/** Enabled, and the cart total within max_amount when one is set. */
		public function is_available() {
			$is_available = 'yes' === $this->enabled;
			if ( $is_available && WC()->cart ) {
				$order_total = $this->get_order_total();
				if ( 0 < $order_total && 0 < $this->max_amount && $order_total > $this->max_amount ) {
					$is_available = false;
				}
			}
			return $is_available;
		}

		protected function get_order_total() {
			return 0;
		}

		public function get_title() {
			return apply_filters( 'woocommerce_gateway_title', $this->title, $this->id );
		}

		public function get_description() {
			return apply_filters( 'woocommerce_gateway_description', $this->description, $this->id );
		}

		public function process_payment( $order_id ) {
			return array();
		}

		public function process_refund( $order_id, $amount = null, $reason = '' ) {
			return false;
		}

		public function supports( $feature ) {
			return apply_filters( 'woocommerce_payment_gateway_supports', in_array( $feature, $this->supports, true ), $feature, $this );
		}

		public function can_refund_order( $order ) {
			return $order && $this->supports( 'refunds' );
		}
	}

	final class WC_Payment_Gateways {
		public $payment_gateways = array();
		private static ?WC_Payment_Gateways $instance = null;

		public static function instance() {
			if ( null === self::$instance ) {
				self::$instance = new self();
				self::$instance->init();
			}
			return self::$instance;
		}

		/** Gateways from the woocommerce_payment_gateways filter: class names or objects. */
		public function init() {
			foreach ( apply_filters( 'woocommerce_payment_gateways', array() ) as $gateway ) {
				$load_gateway = is_string( $gateway ) ? new $gateway() : $gateway;
				$this->payment_gateways[ $load_gateway->id ] = $load_gateway;
			}
		}

		public function payment_gateways() {
			return $this->payment_gateways;
		}

		public function get_available_payment_gateways() {
			$available = array();
			foreach ( $this->payment_gateways as $gateway ) {
				if ( $gateway->is_available() ) {
					$available[ $gateway->id ] = $gateway;
				}
			}
			return array_filter( (array) apply_filters( 'woocommerce_available_payment_gateways', $available ), fn( $g ) => $g instanceof WC_Payment_Gateway );
		}
	}

	/* ------------------------------------------------------------------ orders */

	/** Orders and refunds, saved in the stand-in's own table; only CRUD touches them. */
	abstract class WC_Abstract_Order {
		protected $id   = 0;
		protected $type = 'shop_order';
		protected $data = array(
			'parent_id'      => 0,
			'status'         => 'pending',
			'currency'       => '',
			'total'          => '0',
			'date_created'   => null,
			'date_modified'  => null,
		);
		protected $meta = array();

		public function __construct( $order = 0 ) {
			if ( is_numeric( $order ) && $order > 0 ) {
				$this->read( (int) $order );
			} elseif ( $order instanceof self ) {
				$this->read( $order->get_id() );
			}
		}

		protected function read( int $id ): void {
			global $wpdb;
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}standin_wc_orders WHERE id = %d", $id ) );
			if ( ! $row ) {
				throw new Exception( 'Invalid order.' );
			}
			$this->id   = (int) $row->id;
			$this->type = $row->type;
			$this->data = array_merge( $this->data, json_decode( $row->data, true ) );
			$this->meta = json_decode( $row->meta, true );
		}

		public function get_id() {
			return $this->id;
		}

		public function get_type() {
			return $this->type;
		}

		public function get_parent_id( $context = 'view' ) {
			return (int) $this->data['parent_id'];
		}

		public function set_parent_id( $value ) {
			$this->data['parent_id'] = absint( $value );
		}

		/** Without the "wc-" prefix. */
		public function get_status( $context = 'view' ) {
			return $this->data['status'];
		}

		public function get_currency( $context = 'view' ) {
			return $this->data['currency'];
		}

		public function set_currency( $value ) {
			$this->data['currency'] = $value;
		}

		/** @return float */
		public function get_total( $context = 'view' ) {
			return (float) $this->data['total'];
		}

		public function set_total( $value ) {
			$this->data['total'] = wc_format_decimal( $value );
		}

		public function get_date_created( $context = 'view' ) {
			return $this->data['date_created'] ? new DateTimeImmutable( '@' . $this->data['date_created'] ) : null;
		}

		/** @return mixed The first value for $key when $single (or '' when none), else every value. */
		public function get_meta( $key = '', $single = true, $context = 'view' ) {
			if ( ! array_key_exists( $key, $this->meta ) ) {
				return $single ? '' : array();
			}
			return $single ? $this->meta[ $key ] : array( $this->meta[ $key ] );
		}

		public function update_meta_data( $key, $value, $meta_id = 0 ) {
			$this->meta[ $key ] = $value;
		}

		public function delete_meta_data( $key ) {
			unset( $this->meta[ $key ] );
		}

		/** @return int The id. */
		public function save() {
			global $wpdb;
			$now = time();
			if ( ! $this->data['date_created'] ) {
				$this->data['date_created'] = $now;
			}
			$this->data['date_modified'] = $now;
			$row                         = array(
				'type'      => $this->type,
				'parent_id' => (int) $this->data['parent_id'],
				'data'      => wp_json_encode( $this->data ),
				'meta'      => wp_json_encode( (object) $this->meta ),
			);
			if ( $this->id ) {
				$wpdb->update( "{$wpdb->prefix}standin_wc_orders", $row, array( 'id' => $this->id ) );
			} else {
				$wpdb->insert( "{$wpdb->prefix}standin_wc_orders", $row );
				$this->id = (int) $wpdb->insert_id;
			}
			return $this->id;
		}

		public function delete( $force_delete = false ) {
			global $wpdb;
			$wpdb->delete( "{$wpdb->prefix}standin_wc_orders", array( 'id' => $this->id ) );
			$this->id = 0;
			return true;
		}

		/** Refunds of this order, newest first. */
		public function get_refunds() {
			global $wpdb;
			$ids = $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$wpdb->prefix}standin_wc_orders WHERE type = 'shop_order_refund' AND parent_id = %d ORDER BY id DESC", $this->id ) );
			return array_map( fn( $id ) => new WC_Order_Refund( (int) $id ), $ids );
		}
	}

	class WC_Order extends WC_Abstract_Order {
		protected $extra = array(
			'order_key'            => '',
			'payment_method'       => '',
			'payment_method_title' => '',
			'transaction_id'       => '',
			'created_via'          => '',
			'billing_phone'        => '',
			'date_paid'            => null,
		);

		public function __construct( $order = 0 ) {
			$this->data = array_merge( $this->data, $this->extra );
			parent::__construct( $order );
		}

		public function get_order_key( $context = 'view' ) {
			return $this->data['order_key'];
		}

		public function set_order_key( $value ) {
			$this->data['order_key'] = substr( $value, 0, 22 );
		}

		public function get_order_number() {
			return (string) apply_filters( 'woocommerce_order_number', $this->get_id(), $this );
		}

		public function get_payment_method( $context = 'view' ) {
			return $this->data['payment_method'];
		}

		/** @param string|WC_Payment_Gateway $payment_method */
		public function set_payment_method( $payment_method = '' ) {
			if ( is_object( $payment_method ) ) {
				$this->data['payment_method']       = $payment_method->id;
				$this->data['payment_method_title'] = $payment_method->get_title();
			} else {
				$this->data['payment_method'] = $payment_method;
			}
		}

		public function get_payment_method_title( $context = 'view' ) {
			return $this->data['payment_method_title'];
		}

		public function get_transaction_id( $context = 'view' ) {
			return $this->data['transaction_id'];
		}

		public function set_transaction_id( $value ) {
			$this->data['transaction_id'] = $value;
		}

		public function get_created_via( $context = 'view' ) {
			return $this->data['created_via'];
		}

		public function set_created_via( $value ) {
			$this->data['created_via'] = $value;
		}

		public function get_billing_phone( $context = 'view' ) {
			return $this->data['billing_phone'];
		}

		public function set_billing_phone( $value ) {
			$this->data['billing_phone'] = $value;
		}

		public function get_date_paid( $context = 'view' ) {
			return $this->data['date_paid'] ? new DateTimeImmutable( '@' . $this->data['date_paid'] ) : null;
		}

		public function set_date_paid( $date = null ) {
			$this->data['date_paid'] = null === $date ? null : ( is_numeric( $date ) ? (int) $date : strtotime( $date ) );
		}

		/** The new status, without "wc-"; transitions happen on save() in WooCommerce, here at once. */
		public function set_status( $new_status, $note = '', $manual_update = false ) {
			$old_status = $this->data['status'];
			$new_status = str_starts_with( $new_status, 'wc-' ) ? substr( $new_status, 3 ) : $new_status;
			$this->data['status'] = $new_status;
			if ( $note && $old_status !== $new_status ) {
				$this->add_order_note( trim( $note . ' ' . sprintf( 'Order status changed from %1$s to %2$s.', $old_status, $new_status ) ), 0, $manual_update );
			}
			return array(
				'from' => $old_status,
				'to'   => $new_status,
			);
		}

		public function update_status( $new_status, $note = '', $manual = false ) {
			if ( ! $this->get_id() ) {
				return false;
			}
			$this->set_status( $new_status, $note, $manual );
			$this->save();
			return true;
		}

		/** @param string|string[] $status */
		public function has_status( $status ) {
			return apply_filters( 'woocommerce_order_has_status', ( is_array( $status ) && in_array( $this->get_status(), $status, true ) ) || $this->get_status() === $status, $this, $status );
		}

		public function is_paid() {
			return apply_filters( 'woocommerce_order_is_paid', $this->has_status( wc_get_is_paid_statuses() ), $this );
		}

		public function needs_payment() {
			$valid = apply_filters( 'woocommerce_valid_order_statuses_for_payment', array( 'pending', 'failed' ), $this );
			return apply_filters( 'woocommerce_order_needs_payment', ( $this->has_status( $valid ) && $this->get_total() > 0 ), $this, $valid );
		}

		public function needs_processing() {
			return true; // Physical goods: "processing" after payment.
		}

		/**
		 * As WooCommerce 11: from on-hold, pending, failed or cancelled, set the
		 * transaction id and date paid, move to processing, note it, save; from
		 * any other status only fire woocommerce_payment_complete_order_status_*.
		 * An Exception from any hook is caught (WooCommerce 10.0.2 and 11 alike):
		 * logged, noted on the order ("Payment complete event failed. …") and
		 * answered with false; the order is saved only if the throw came after
		 * the save (a woocommerce_payment_complete hook).
		 */
		public function payment_complete( $transaction_id = '' ) {
			if ( ! $this->get_id() ) {
				return false;
			}
			try {
				$this->complete_payment( $transaction_id );
			} catch ( Exception $e ) {
				wc_get_logger()->error( sprintf( 'Error completing payment for order #%d', $this->get_id() ), array( 'error' => $e ) );
				$this->add_order_note( 'Payment complete event failed. ' . $e->getMessage() );
				return false;
			}
			return true;
		}

		/** payment_complete()'s body, inside its try. */
		private function complete_payment( $transaction_id ): void {
			do_action( 'woocommerce_pre_payment_complete', $this->get_id(), $transaction_id );
			$valid = apply_filters( 'woocommerce_valid_order_statuses_for_payment_complete', array( 'on-hold', 'pending', 'failed', 'cancelled' ), $this );
			if ( $this->has_status( $valid ) ) {
				if ( ! empty( $transaction_id ) ) {
					$this->set_transaction_id( $transaction_id );
				}
				if ( ! $this->get_date_paid( 'edit' ) ) {
					$this->set_date_paid( time() );
				}
				$next_status    = apply_filters( 'woocommerce_payment_complete_order_status', $this->needs_processing() ? 'processing' : 'completed', $this->get_id(), $this );
				$transaction_id = $this->get_transaction_id();
				$payment_method = $this->get_payment_method_title();
				$this->set_status( $next_status );
				$this->add_order_note( $payment_method && $transaction_id ? sprintf( 'Payment via %1$s (%2$s).', $payment_method, $transaction_id ) : 'Payment complete.' );
				$this->save();
				do_action( 'woocommerce_payment_complete', $this->get_id(), $transaction_id );
			} else {
				do_action( 'woocommerce_payment_complete_order_status_' . $this->get_status(), $this->get_id(), $transaction_id );
			}
		}

		/** Saved at once (a comment in WooCommerce); returns the note's id. */
		public function add_order_note( $note, $is_customer_note = 0, $added_by_user = false ) {
			global $wpdb;
			if ( ! $this->get_id() ) {
				return 0;
			}
			$wpdb->insert(
				"{$wpdb->prefix}standin_wc_order_notes",
				array(
					'order_id'      => $this->get_id(),
					'content'       => $note,
					'customer_note' => $is_customer_note ? 1 : 0,
					'added_by'      => $added_by_user ? 'user' : 'system',
					'date_created'  => current_time( 'mysql', true ),
				)
			);
			return (int) $wpdb->insert_id;
		}

		/** The order-pay page; with $on_checkout the receipt page, else the "pay for order" form. */
		public function get_checkout_payment_url( $on_checkout = false ) {
			$pay_url = add_query_arg(
				array(
					'standin'   => 'order-pay',
					'order_id'  => $this->get_id(),
					'key'       => $this->get_order_key(),
				),
				home_url( '/' )
			);
			if ( ! $on_checkout ) {
				$pay_url = add_query_arg( 'pay_for_order', 'true', $pay_url );
			}
			return apply_filters( 'woocommerce_get_checkout_payment_url', $pay_url, $this );
		}

		/** The order's admin screen (HPOS: WooCommerce > Orders > Edit). */
		public function get_edit_order_url() {
			return apply_filters( 'woocommerce_get_edit_order_url', admin_url( 'admin.php?page=wc-orders&action=edit&id=' . $this->get_id() ), $this );
		}

		public function get_checkout_order_received_url() {
			$url = add_query_arg(
				array(
					'standin'  => 'order-received',
					'order_id' => $this->get_id(),
					'key'      => $this->get_order_key(),
				),
				home_url( '/' )
			);
			return apply_filters( 'woocommerce_get_checkout_order_received_url', $url, $this );
		}

		public function get_total_refunded() {
			return array_sum( array_map( fn( $r ) => $r->get_amount(), $this->get_refunds() ) );
		}

		public function get_remaining_refund_amount() {
			return wc_format_decimal( $this->get_total() - $this->get_total_refunded() );
		}
	}

	class WC_Order_Refund extends WC_Abstract_Order {
		protected $type = 'shop_order_refund';

		public function __construct( $order = 0 ) {
			$this->data = array_merge(
				$this->data,
				array(
					'amount'          => '0',
					'reason'          => '',
					'refunded_payment' => false,
				)
			);
			parent::__construct( $order );
		}

		public function get_amount( $context = 'view' ) {
			return (float) $this->data['amount'];
		}

		public function set_amount( $value ) {
			$this->data['amount'] = wc_format_decimal( $value );
		}

		public function get_reason( $context = 'view' ) {
			return $this->data['reason'];
		}

		public function set_reason( $value ) {
			$this->data['reason'] = $value;
		}

		public function set_refunded_payment( $value ) {
			$this->data['refunded_payment'] = (bool) $value;
		}

		public function get_refunded_payment( $context = 'view' ) {
			return (bool) $this->data['refunded_payment'];
		}
	}

	/** @return WC_Order|WC_Order_Refund|false */
	function wc_get_order( $the_order = false ) {
		$id = $the_order instanceof WC_Abstract_Order ? $the_order->get_id() : ( $the_order instanceof WP_Post ? $the_order->ID : absint( $the_order ) );
		if ( ! $id ) {
			return false;
		}
		global $wpdb;
		$type = $wpdb->get_var( $wpdb->prepare( "SELECT type FROM {$wpdb->prefix}standin_wc_orders WHERE id = %d", $id ) );
		if ( 'shop_order' === $type ) {
			return new WC_Order( $id );
		}
		return 'shop_order_refund' === $type ? new WC_Order_Refund( $id ) : false;
	}

	/** @return WC_Order|WP_Error */
	function wc_create_order( $args = array() ) {
		$order = new WC_Order();
		$order->set_order_key( 'wc_order_' . wp_generate_password( 13, false ) );
		$order->set_status( $args['status'] ?? 'pending' );
		$order->set_created_via( $args['created_via'] ?? 'admin' );
		$order->set_currency( get_woocommerce_currency() );
		$order->save();
		return $order;
	}

	/**
	 * As WooCommerce: woocommerce_create_refund, save the refund, then (with
	 * refund_payment) the gateway's process_refund(); a refused refund is deleted.
	 *
	 * @return WC_Order_Refund|WP_Error
	 */
	function wc_create_refund( $args = array() ) {
		$args  = wp_parse_args(
			$args,
			array(
				'amount'         => 0,
				'reason'         => null,
				'order_id'       => 0,
				'refund_id'      => 0,
				'line_items'     => array(),
				'refund_payment' => false,
				'restock_items'  => false,
			)
		);
		$order = wc_get_order( $args['order_id'] );
		if ( ! $order ) {
			return new WP_Error( 'error', 'Invalid order ID.' );
		}
		if ( 0 > $args['amount'] || $args['amount'] > $order->get_remaining_refund_amount() ) {
			return new WP_Error( 'error', 'Invalid refund amount.' );
		}
		$refund = new WC_Order_Refund();
		$refund->set_currency( $order->get_currency() );
		$refund->set_amount( $args['amount'] );
		$refund->set_parent_id( absint( $args['order_id'] ) );
		$refund->set_reason( $args['reason'] );
		$refund->set_total( $args['amount'] * -1 );
		do_action( 'woocommerce_create_refund', $refund, $args );
		if ( $refund->save() ) {
			if ( $args['refund_payment'] ) {
				$result = wc_refund_payment( $order, $refund->get_amount(), $refund->get_reason() );
				if ( is_wp_error( $result ) ) {
					$refund->delete();
					return $result;
				}
				$refund->set_refunded_payment( true );
				$refund->save();
			}
			if ( (float) $order->get_remaining_refund_amount() <= 0 ) {
				$order->update_status( 'refunded' );
			}
		}
		do_action( 'woocommerce_refund_created', $refund->get_id(), $args );
		return $refund;
	}

	/** @return bool|WP_Error */
	function wc_refund_payment( $order, $amount, $reason = '' ) {
		try {
			$gateways = WC()->payment_gateways()->payment_gateways();
			$gateway  = $gateways[ $order->get_payment_method() ] ?? false;
			if ( ! $gateway ) {
				throw new Exception( 'The payment gateway for this order does not exist.' );
			}
			if ( ! $gateway->supports( 'refunds' ) ) {
				throw new Exception( 'The payment gateway for this order does not support automatic refunds.' );
			}
			$result = $gateway->process_refund( $order->get_id(), $amount, $reason );
			if ( ! $result ) {
				throw new Exception( 'An error occurred while attempting to create the refund using the payment gateway API.' );
			}
			if ( is_wp_error( $result ) ) {
				throw new Exception( $result->get_error_message() );
			}
			return true;
		} catch ( Exception $e ) {
			return new WP_Error( 'error', $e->getMessage() );
		}
	}

	/** Notes of an order, newest first: objects with id, content, customer_note, added_by, date_created. */
	function wc_get_order_notes( $args ) {
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}standin_wc_order_notes WHERE order_id = %d ORDER BY id DESC", $args['order_id'] ?? 0 ) );
		return array_map(
			fn( $r ) => (object) array(
				'id'            => (int) $r->id,
				'content'       => $r->content,
				'customer_note' => (bool) $r->customer_note,
				'added_by'      => $r->added_by,
				'date_created'  => new DateTimeImmutable( $r->date_created ),
			),
			$rows
		);
	}

	function wc_get_is_paid_statuses() {
		return apply_filters( 'woocommerce_order_is_paid_statuses', array( 'processing', 'completed' ) );
	}

	function wc_format_decimal( $number, $dp = false, $trim_zeros = false ) {
		$number = is_float( $number ) ? (string) $number : trim( (string) $number );
		return preg_replace( '/[^0-9.\-]/', '', $number );
	}

	function get_woocommerce_currency() {
		return apply_filters( 'woocommerce_currency', get_option( 'woocommerce_currency' ) );
	}

	/** With HPOS on, the orders screen is WooCommerce > Orders. */
	function wc_get_page_screen_id( $for ) {
		return 'shop-order' === $for ? 'woocommerce_page_wc-orders' : 'woocommerce_page_wc-orders--' . $for;
	}

	/* ------------------------------------------------------------------ notices */

	/** WooCommerce keeps notices in the session; the stand-in for this request. */
	function wc_add_notice( $message, $notice_type = 'success', $data = array() ) {
		$GLOBALS['standin_wc_notices'][ $notice_type ][] = array(
			'notice' => apply_filters( 'woocommerce_add_' . $notice_type, $message ),
			'data'   => $data,
		);
	}

	function wc_print_notices( $return = false ) {
		$html = '';
		foreach ( $GLOBALS['standin_wc_notices'] ?? array() as $type => $notices ) {
			foreach ( $notices as $notice ) {
				$html .= '<div class="woocommerce-' . esc_attr( 'error' === $type ? 'error' : 'message' ) . '" role="alert">' . wp_kses_post( $notice['notice'] ) . '</div>';
			}
		}
		$GLOBALS['standin_wc_notices'] = array();
		if ( $return ) {
			return $html;
		}
		echo $html; // phpcs:ignore WordPress.Security.EscapeOutput
	}

	/* ------------------------------------------------------------------ e-mails */

	/**
	 * WooCommerce's e-mail base class, as in WooCommerce 11 for what an
	 * extension's e-mail uses: its settings (WooCommerce > Settings > Emails,
	 * option woocommerce_<id>_settings), placeholders, recipient, subject and
	 * heading with their filters, templates, and send() through wp_mail().
	 */
	class WC_Email extends WC_Settings_API {
		public $title;
		public $enabled;
		public $description;
		public $template_plain;
		public $template_html;
		public $template_base;
		public $recipient;
		public $heading = '';
		public $subject = '';
		public $object;
		public $customer_email = false;
		public $manual         = false;
		public $placeholders   = array();
		public $email_type;

		public function __construct() {
			$this->placeholders = array_merge(
				array(
					'{site_title}'   => $this->get_blogname(),
					'{site_address}' => wp_parse_url( home_url(), PHP_URL_HOST ),
					'{site_url}'     => wp_parse_url( home_url(), PHP_URL_HOST ),
				),
				$this->placeholders
			);
			$this->init_form_fields();
			$this->init_settings();
			$this->email_type = $this->get_option( 'email_type' );
			$this->enabled    = $this->get_option( 'enabled' );
		}

		public function get_blogname() {
			return wp_specialchars_decode( get_option( 'blogname' ), ENT_QUOTES );
		}

		public function format_string( $string ) {
			return apply_filters( 'woocommerce_email_format_string', str_replace( array_keys( $this->placeholders ), array_values( $this->placeholders ), (string) $string ), $this );
		}

		public function is_customer_email() {
			return $this->customer_email;
		}

		/** Customer e-mails switch to the site's locale; the shop's own do not. */
		public function setup_locale() {
			if ( $this->is_customer_email() && apply_filters( 'woocommerce_email_setup_locale', true ) ) {
				switch_to_locale( get_locale() );
			}
		}

		public function restore_locale() {
			if ( $this->is_customer_email() && apply_filters( 'woocommerce_email_restore_locale', true ) ) {
				restore_previous_locale();
			}
		}

		public function get_default_subject() {
			return $this->subject;
		}

		public function get_default_heading() {
			return $this->heading;
		}

		public function get_subject() {
			return apply_filters( 'woocommerce_email_subject_' . $this->id, $this->format_string( $this->get_option( 'subject', $this->get_default_subject() ) ), $this->object, $this );
		}

		public function get_heading() {
			return apply_filters( 'woocommerce_email_heading_' . $this->id, $this->format_string( $this->get_option( 'heading', $this->get_default_heading() ) ), $this->object, $this );
		}

		public function get_additional_content() {
			return apply_filters( 'woocommerce_email_additional_content_' . $this->id, $this->format_string( $this->get_option( 'additional_content', '' ) ), $this->object, $this );
		}

		/** The valid addresses of the comma-separated recipient. */
		public function get_recipient() {
			$recipient = apply_filters( 'woocommerce_email_recipient_' . $this->id, $this->recipient, $this->object, $this );
			return implode( ', ', array_filter( array_map( 'trim', explode( ',', (string) $recipient ) ), 'is_email' ) );
		}

		public function get_email_type() {
			return $this->email_type && class_exists( 'DOMDocument' ) ? $this->email_type : 'plain';
		}

		public function get_content_type( $default_content_type = '' ) {
			$types = array(
				'html'      => 'text/html',
				'multipart' => 'multipart/alternative',
			);
			return apply_filters( 'woocommerce_email_content_type', $types[ $this->get_email_type() ] ?? 'text/plain', $this, $default_content_type );
		}

		public function get_headers() {
			return apply_filters( 'woocommerce_email_headers', 'Content-Type: ' . $this->get_content_type() . "\r\n", $this->id, $this->object, $this );
		}

		public function get_attachments() {
			return apply_filters( 'woocommerce_email_attachments', array(), $this->id, $this->object, $this );
		}

		public function is_enabled() {
			return apply_filters( 'woocommerce_email_enabled_' . $this->id, 'yes' === $this->enabled, $this->object, $this );
		}

		public function get_content() {
			return 'plain' === $this->get_email_type() ? wordwrap( wp_strip_all_tags( $this->get_content_plain() ), 70 ) : $this->get_content_html();
		}

		public function get_content_plain() {
			return '';
		}

		public function get_content_html() {
			return '';
		}

		public function get_email_type_options() {
			$types = array( 'plain' => 'Plain text' );
			if ( class_exists( 'DOMDocument' ) ) {
				$types['html']      = 'HTML';
				$types['multipart'] = 'Multipart';
			}
			return $types;
		}

		public function get_from_name( $from_name = '' ) {
			return wp_specialchars_decode( esc_html( get_option( 'woocommerce_email_from_name', $this->get_blogname() ) ), ENT_QUOTES );
		}

		public function get_from_address( $from_email = '' ) {
			return sanitize_email( get_option( 'woocommerce_email_from_address', get_option( 'admin_email' ) ) );
		}

		/** wp_mail() (through woocommerce_mail_callback), with WooCommerce's sender and content type. */
		public function send( $to, $subject, $message, $headers, $attachments ) {
			add_filter( 'wp_mail_from', array( $this, 'get_from_address' ) );
			add_filter( 'wp_mail_from_name', array( $this, 'get_from_name' ) );
			add_filter( 'wp_mail_content_type', array( $this, 'get_content_type' ) );
			$message       = apply_filters( 'woocommerce_mail_content', $message );
			$mail_callback = apply_filters( 'woocommerce_mail_callback', 'wp_mail', $this );
			$params        = apply_filters( 'woocommerce_mail_callback_params', array( $to, wp_specialchars_decode( $subject ), $message, $headers, $attachments ), $this );
			$return        = $mail_callback( ...$params );
			remove_filter( 'wp_mail_from', array( $this, 'get_from_address' ) );
			remove_filter( 'wp_mail_from_name', array( $this, 'get_from_name' ) );
			remove_filter( 'wp_mail_content_type', array( $this, 'get_content_type' ) );
			return $return;
		}
	}

	/** WooCommerce's mailer: its e-mails (none of WooCommerce's own here), extended by woocommerce_email_classes. */
	final class WC_Emails {
		/** @var array<string, WC_Email> */
		public $emails = array();
		private static ?WC_Emails $instance = null;

		public static function instance() {
			return self::$instance ??= new self();
		}

		public function __construct() {
			$this->emails = apply_filters( 'woocommerce_email_classes', $this->emails );
			add_action( 'woocommerce_email_header', array( $this, 'email_header' ) );
			add_action( 'woocommerce_email_footer', array( $this, 'email_footer' ) );
		}

		public function get_emails() {
			return $this->emails;
		}

		/** WooCommerce's emails/email-header.php, reduced to the document and the heading. */
		public function email_header( $email_heading ) {
			echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>' . esc_html( $email_heading ) . '</h1>';
		}

		public function email_footer() {
			echo '</body></html>';
		}
	}

	/** The template from the theme's woocommerce/ folder, else from $default_path. */
	function wc_locate_template( $template_name, $template_path = '', $default_path = '' ) {
		$template_path = $template_path ? $template_path : 'woocommerce/';
		$template      = locate_template( array( trailingslashit( $template_path ) . $template_name ) );
		if ( ! $template ) {
			$template = trailingslashit( $default_path ) . $template_name;
		}
		return apply_filters( 'woocommerce_locate_template', $template, $template_name, $template_path );
	}

	function wc_get_template( $template_name, $args = array(), $template_path = '', $default_path = '' ) {
		$template = apply_filters( 'wc_get_template', wc_locate_template( $template_name, $template_path, $default_path ), $template_name, $args, $template_path, $default_path );
		extract( $args ); // phpcs:ignore WordPress.PHP.DontExtract -- as WooCommerce does.
		include $template;
	}

	function wc_get_template_html( $template_name, $args = array(), $template_path = '', $default_path = '' ) {
		ob_start();
		wc_get_template( $template_name, $args, $template_path, $default_path );
		return ob_get_clean();
	}

	/* ------------------------------------------------------------------ admin menu */

	/** WooCommerce's top-level menu (WC_Admin_Menus::admin_menu), which extensions add pages under. */
	add_action(
		'admin_menu',
		function () {
			add_menu_page( 'WooCommerce', 'WooCommerce', 'edit_others_shop_orders', 'woocommerce', null, 'dashicons-cart', '55.5' );
		},
		9
	);

	/* ------------------------------------------------------------------ logging */

	interface WC_Logger_Interface {
		public function log( $level, $message, $context = array() );
	}

	/** Appends "<time> <LEVEL> <message>" to wc-logs/<source>.log, as WooCommerce's file handler (without its date and hash). */
	final class WC_Logger implements WC_Logger_Interface {
		public function log( $level, $message, $context = array() ) {
			$dir = WP_CONTENT_DIR . '/uploads/wc-logs';
			wp_mkdir_p( $dir );
			$source = $context['source'] ?? 'log';
			file_put_contents( "$dir/$source.log", gmdate( 'c' ) . ' ' . strtoupper( $level ) . ' ' . $message . "\n", FILE_APPEND | LOCK_EX );
		}

		public function debug( $message, $context = array() ) {
			$this->log( 'debug', $message, $context );
		}

		public function info( $message, $context = array() ) {
			$this->log( 'info', $message, $context );
		}

		public function warning( $message, $context = array() ) {
			$this->log( 'warning', $message, $context );
		}

		public function error( $message, $context = array() ) {
			$this->log( 'error', $message, $context );
		}
	}

	function wc_get_logger() {
		static $logger;
		return $logger ??= new WC_Logger();
	}

	/* ------------------------------------------------------------------ Action Scheduler */

	/** Actions as [id => [hook, args, group, next timestamp, interval]] in an option. */
	function standin_as_actions(): array {
		$actions = get_option( 'standin_as_actions', array() );
		return is_array( $actions ) ? $actions : array();
	}

	/** @return int The action id (0 when $unique and one exists). */
	function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
		if ( $unique && as_has_scheduled_action( $hook, $args, $group ) ) {
			return 0;
		}
		$actions        = standin_as_actions();
		$id             = $actions ? max( array_keys( $actions ) ) + 1 : 1;
		$actions[ $id ] = array( $hook, $args, $group, (int) $timestamp, (int) $interval_in_seconds );
		update_option( 'standin_as_actions', $actions, false );
		return $id;
	}

	/** $args null: any arguments. */
	function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
		foreach ( standin_as_actions() as $action ) {
			if ( $action[0] === $hook && ( null === $args || $action[1] === $args ) && ( '' === $group || $action[2] === $group ) ) {
				return true;
			}
		}
		return false;
	}

	function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
		$actions = array_filter( standin_as_actions(), fn( $a ) => ! ( $a[0] === $hook && ( ! $args || $a[1] === $args ) && ( '' === $group || $a[2] === $group ) ) );
		update_option( 'standin_as_actions', $actions, false );
	}

	/** The queue runner (WP-Cron's action_scheduler_run_queue, or `wp action-scheduler run`): due actions, then their next time. */
	function standin_as_run_queue(): int {
		$ran = 0;
		foreach ( standin_as_actions() as $id => $action ) {
			if ( $action[3] > time() ) {
				continue;
			}
			$actions = standin_as_actions();
			if ( isset( $actions[ $id ] ) ) {
				$actions[ $id ][3] = time() + max( 1, $action[4] );
				update_option( 'standin_as_actions', $actions, false );
			}
			do_action_ref_array( $action[0], array_values( $action[1] ) );
			++$ran;
		}
		return $ran;
	}
	add_action( 'action_scheduler_run_queue', 'standin_as_run_queue' );

	/* ------------------------------------------------------------------ boot */

	add_action( 'plugins_loaded', 'standin_wc_install', 0 );
	add_action(
		'plugins_loaded',
		function () {
			\Automattic\WooCommerce\Blocks\Package::init();
		},
		10
	);
	add_action(
		'init',
		function () {
			do_action( 'before_woocommerce_init' );
			do_action( 'woocommerce_init' );
		},
		0
	);
	add_action(
		'init',
		function () {
			do_action( 'action_scheduler_init' );
		},
		1
	);
	add_filter( 'query_vars', fn( $vars ) => array_merge( $vars, array( 'wc-api' ) ) );
	add_action( 'parse_request', 'standin_wc_api_request' );
	// Rendered late, as WooCommerce renders its pages in the template: notices added on template_redirect show.
	add_action( 'template_redirect', 'standin_wc_pages', 100 );

	/** WooCommerce's wc-api endpoint (LegacyRestApiStub::maybe_process_wc_api_query_var). */
	function standin_wc_api_request() {
		global $wp;
		if ( ! empty( $_GET['wc-api'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			$wp->query_vars['wc-api'] = sanitize_key( wp_unslash( $_GET['wc-api'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		}
		if ( ! empty( $wp->query_vars['wc-api'] ) ) {
			ob_start();
			nocache_headers();
			$api_request = strtolower( sanitize_text_field( $wp->query_vars['wc-api'] ) );
			WC()->payment_gateways();
			do_action( 'woocommerce_api_request', $api_request );
			status_header( has_action( 'woocommerce_api_' . $api_request ) ? 200 : 400 );
			do_action( 'woocommerce_api_' . $api_request );
			ob_end_clean();
			die( '-1' );
		}
	}

	/**
	 * The shop's pages the plugin meets: checkout (WC_Checkout creating the
	 * order and calling the chosen gateway's process_payment()), order-pay
	 * (woocommerce_receipt_<method>) and order-received (the thank-you page).
	 */
	function standin_wc_pages() {
		// phpcs:disable WordPress.Security.NonceVerification
		$page = isset( $_GET['standin'] ) ? sanitize_key( $_GET['standin'] ) : '';
		if ( '' === $page || 'pay' === $page ) {
			return; // "pay" is the pay-for-order form's handler below.
		}
		if ( 'checkout' === $page && 'POST' === $_SERVER['REQUEST_METHOD'] ) {
			$gateways = WC()->payment_gateways()->get_available_payment_gateways();
			$method   = sanitize_key( wp_unslash( $_POST['payment_method'] ?? '' ) );
			if ( ! isset( $gateways[ $method ] ) ) {
				wc_add_notice( 'Invalid payment method.', 'error' );
				standin_wc_page( 'Checkout', standin_wc_checkout_form() );
			}
			$order = wc_create_order( array( 'created_via' => 'checkout' ) );
			$order->set_total( wp_unslash( $_POST['total'] ?? '0' ) );
			$order->set_billing_phone( wp_unslash( $_POST['billing_phone'] ?? '' ) );
			$order->set_payment_method( $gateways[ $method ] );
			$order->save();
			$result = $gateways[ $method ]->process_payment( $order->get_id() );
			if ( isset( $result['result'] ) && 'success' === $result['result'] ) {
				wp_redirect( $result['redirect'] ); // phpcs:ignore WordPress.Security.SafeRedirect -- the gateway's page.
				exit;
			}
			standin_wc_page( 'Checkout', standin_wc_checkout_form() );
		}
		if ( 'checkout' === $page ) {
			standin_wc_page( 'Checkout', standin_wc_checkout_form() );
		}
		$order = wc_get_order( absint( $_GET['order_id'] ?? 0 ) );
		if ( ! $order instanceof WC_Order || ! hash_equals( $order->get_order_key(), (string) wp_unslash( $_GET['key'] ?? '' ) ) ) {
			standin_wc_page( 'Order', '<p>Invalid order.</p>', 404 );
		}
		$summary = sprintf( '<p>Order <span id="order-id">%d</span>: <span id="order-status">%s</span>, %s %s</p>', $order->get_id(), esc_html( $order->get_status() ), esc_html( $order->get_total() ), esc_html( $order->get_currency() ) );
		if ( 'order-pay' === $page && isset( $_GET['pay_for_order'] ) ) {
			$gateways = WC()->payment_gateways()->get_available_payment_gateways();
			$form     = '<form method="post" id="pay-form" action="' . esc_url( add_query_arg( array( 'standin' => 'pay' ), home_url( '/' ) ) ) . '"><input type="hidden" name="order_id" value="' . esc_attr( $order->get_id() ) . '"><input type="hidden" name="key" value="' . esc_attr( $order->get_order_key() ) . '">';
			foreach ( $gateways as $id => $gateway ) {
				$form .= '<label><input type="radio" name="payment_method" value="' . esc_attr( $id ) . '"' . checked( $id, $order->get_payment_method(), false ) . '> ' . esc_html( $gateway->get_title() ) . '</label><br>';
			}
			$form .= '<button type="submit" id="place_order">Pay for order</button></form>';
			standin_wc_page( 'Pay for order', $summary . $form );
		}
		if ( 'order-pay' === $page ) {
			ob_start();
			do_action( 'woocommerce_receipt_' . $order->get_payment_method(), $order->get_id() );
			standin_wc_page( 'Pay for order', $summary . ob_get_clean() );
		}
		if ( 'order-received' === $page ) {
			standin_wc_page( 'Order received', $summary );
		}
		standin_wc_page( 'Not found', '', 404 );
		// phpcs:enable
	}

	/**
	 * WooCommerce > Orders > Edit (HPOS: admin.php?page=wc-orders&action=edit&id=N):
	 * the order's meta boxes, as WooCommerce fires add_meta_boxes with its
	 * screen id and the order, then its notes as the order notes box shows them.
	 */
	add_action(
		'admin_menu',
		function () {
			// The top-level menu itself is added above, at priority 9, as WC_Admin_Menus does.
			add_submenu_page( 'woocommerce', 'Orders', 'Orders', 'manage_woocommerce', 'wc-orders', 'standin_wc_order_screen' );
			add_submenu_page( 'woocommerce', 'Settings', 'Settings', 'manage_woocommerce', 'wc-settings', 'standin_wc_settings_screen' );
		}
	);

	/**
	 * WooCommerce > Settings > Payments > a gateway (admin.php?page=wc-settings&tab=checkout&section=<id>):
	 * on save (nonce "woocommerce-settings") WC_Admin_Settings::save() fires
	 * woocommerce_update_options_payment_gateways_<id>; then the messages and the
	 * gateway's admin_options() in the settings form.
	 */
	function standin_wc_settings_screen() {
		// phpcs:disable WordPress.Security.NonceVerification
		$gateways = WC()->payment_gateways()->payment_gateways();
		$gateway  = $gateways[ sanitize_key( $_GET['section'] ?? '' ) ] ?? null;
		if ( ! $gateway ) {
			echo '<p>No such payment method.</p>';
			return;
		}
		if ( isset( $_POST['save'] ) ) {
			check_admin_referer( 'woocommerce-settings' );
			do_action( 'woocommerce_update_options_payment_gateways_' . $gateway->id );
			$gateway->init_settings();
		}
		echo '<div class="wrap woocommerce"><form method="post" id="mainform" action="">';
		WC_Admin_Settings::show_messages();
		$gateway->admin_options();
		wp_nonce_field( 'woocommerce-settings' );
		echo '<p class="submit"><button name="save" id="save" class="button-primary woocommerce-save-button" type="submit" value="1">Save changes</button></p></form></div>';
		// phpcs:enable
	}

	function standin_wc_order_screen() {
		$order = wc_get_order( absint( $_GET['id'] ?? 0 ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		if ( ! $order instanceof WC_Order ) {
			echo '<p>No such order.</p>';
			return;
		}
		$screen = wc_get_page_screen_id( 'shop-order' );
		do_action( 'add_meta_boxes', $screen, $order );
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . ' #' . esc_html( $order->get_id() ) . '</h1><div id="poststuff">';
		do_meta_boxes( $screen, 'normal', $order );
		echo '<div id="order-notes" class="postbox"><ul class="order_notes">';
		foreach ( wc_get_order_notes( array( 'order_id' => $order->get_id() ) ) as $note ) {
			echo '<li class="note"><div class="note_content">' . wpautop( wptexturize( wp_kses_post( $note->content ) ) ) . '</div></li>'; // phpcs:ignore WordPress.Security.EscapeOutput
		}
		echo '</ul></div></div></div>';
	}

	/** The "pay for order" form's submission (WC_Form_Handler::pay_action, on "wp"). */
	add_action(
		'wp',
		function () {
			// phpcs:disable WordPress.Security.NonceVerification
			if ( ( $_GET['standin'] ?? '' ) !== 'pay' || 'POST' !== $_SERVER['REQUEST_METHOD'] ) {
				return;
			}
			$order    = wc_get_order( absint( $_POST['order_id'] ?? 0 ) );
			$gateways = WC()->payment_gateways()->get_available_payment_gateways();
			$method   = sanitize_key( wp_unslash( $_POST['payment_method'] ?? '' ) );
			if ( ! $order instanceof WC_Order || ! hash_equals( $order->get_order_key(), (string) wp_unslash( $_POST['key'] ?? '' ) ) || ! isset( $gateways[ $method ] ) || ! $order->needs_payment() ) {
				standin_wc_page( 'Pay for order', '<p>Cannot pay this order.</p>', 400 );
			}
			$order->set_payment_method( $gateways[ $method ] );
			$order->save();
			$result = $gateways[ $method ]->process_payment( $order->get_id() );
			if ( 'success' === ( $result['result'] ?? '' ) ) {
				wp_redirect( $result['redirect'] ); // phpcs:ignore WordPress.Security.SafeRedirect
				exit;
			}
			wp_safe_redirect( $order->get_checkout_payment_url() );
			exit;
			// phpcs:enable
		},
		20
	);

	function standin_wc_checkout_form(): string {
		$form = '<form method="post" id="checkout" action="' . esc_url( add_query_arg( 'standin', 'checkout', home_url( '/' ) ) ) . '">'
			. '<p>Total (' . esc_html( get_woocommerce_currency() ) . '): <input name="total" id="total" value="125000"></p>'
			. '<p>Mobile: <input name="billing_phone" id="billing_phone" value="09121234567"></p>';
		foreach ( WC()->payment_gateways()->get_available_payment_gateways() as $id => $gateway ) {
			$form .= '<label><input type="radio" name="payment_method" id="payment_method_' . esc_attr( $id ) . '" value="' . esc_attr( $id ) . '"> ' . esc_html( $gateway->get_title() ) . '</label><br>';
		}
		return $form . '<button type="submit" id="place_order">Place order</button></form>';
	}

	function standin_wc_page( string $title, string $body, int $status = 200 ) {
		status_header( $status );
		header( 'Content-Type: text/html; charset=utf-8' );
		echo '<!doctype html><html><head><meta charset="utf-8"><title>' . esc_html( $title ) . '</title></head><body><h1>' . esc_html( $title ) . '</h1><div id="notices">' . wc_print_notices( true ) . '</div>' . $body . '</body></html>'; // phpcs:ignore WordPress.Security.EscapeOutput
		exit;
	}
}

/* ---------------------------------------------------------------------- namespaced classes */

namespace Automattic\WooCommerce\Utilities {

	final class FeaturesUtil {
		/** @var array<string, array<string, bool>> feature => plugin file => compatible */
		public static array $declared = array();

		/** Must be called from before_woocommerce_init, as in WooCommerce. */
		public static function declare_compatibility( string $feature_id, string $plugin_file, bool $positive_compatibility = true ): bool {
			if ( ! doing_action( 'before_woocommerce_init' ) ) {
				_doing_it_wrong( __METHOD__, 'declare_compatibility should be called inside the before_woocommerce_init action.', '7.0' );
				return false;
			}
			self::$declared[ $feature_id ][ plugin_basename( $plugin_file ) ] = $positive_compatibility;
			return true;
		}
	}
}

namespace Automattic\WooCommerce\Blocks\Integrations {

	interface IntegrationInterface {
		public function get_name();
		public function initialize();
		public function get_script_handles();
		public function get_editor_script_handles();
		public function get_script_data();
	}
}

namespace Automattic\WooCommerce\Blocks\Payments {

	interface PaymentMethodTypeInterface extends \Automattic\WooCommerce\Blocks\Integrations\IntegrationInterface {
		public function is_active();
		public function get_payment_method_script_handles();
		public function get_payment_method_script_handles_for_admin();
		public function get_supported_features();
		public function get_payment_method_data();
	}

	final class PaymentMethodRegistry {
		/** @var array<string, PaymentMethodTypeInterface> */
		public array $registered = array();

		public function register( $integration ) {
			$name = $integration->get_name();
			if ( isset( $this->registered[ $name ] ) ) {
				_doing_it_wrong( __METHOD__, esc_html( "\"$name\" is already registered." ), '4.6.0' );
				return false;
			}
			$integration->initialize();
			$this->registered[ $name ] = $integration;
			return true;
		}

		/** Active integrations' data as the blocks read it: wcSettings "<name>_data". */
		public function get_all_registered_script_data() {
			$data = array();
			foreach ( $this->registered as $name => $integration ) {
				if ( $integration->is_active() ) {
					$data[ $name . '_data' ] = $integration->get_payment_method_data();
				}
			}
			return $data;
		}
	}
}

namespace Automattic\WooCommerce\Blocks\Payments\Integrations {

	use Automattic\WooCommerce\Blocks\Payments\PaymentMethodTypeInterface;

	abstract class AbstractPaymentMethodType implements PaymentMethodTypeInterface {
		protected $name     = '';
		protected $settings = array();

		protected function get_setting( $name, $default = '' ) {
			return $this->settings[ $name ] ?? $default;
		}

		public function get_name() {
			return $this->name;
		}

		public function is_active() {
			return true;
		}

		public function get_payment_method_script_handles() {
			return array();
		}

		public function get_payment_method_script_handles_for_admin() {
			return $this->get_payment_method_script_handles();
		}

		public function get_supported_features() {
			return array( 'products' );
		}

		public function get_payment_method_data() {
			return array();
		}

		public function get_script_handles() {
			return $this->get_payment_method_script_handles();
		}

		public function get_editor_script_handles() {
			return $this->get_payment_method_script_handles_for_admin();
		}

		public function get_script_data() {
			return $this->get_payment_method_data();
		}
	}
}

namespace Automattic\WooCommerce\Blocks {

	use Automattic\WooCommerce\Blocks\Payments\PaymentMethodRegistry;

	/** WooCommerce Blocks' bootstrap: woocommerce_blocks_loaded, then on init the payment methods' registration. */
	final class Package {
		public static ?PaymentMethodRegistry $registry = null;

		public static function init() {
			self::$registry = new PaymentMethodRegistry();
			do_action( 'woocommerce_blocks_loaded' );
			add_action(
				'init',
				function () {
					do_action( 'woocommerce_blocks_payment_method_type_registration', self::$registry );
				},
				20
			);
		}
	}
}
