<?php
/**
 * What the four Dargah gateways share: settings, availability, payment
 * creation and logging. Each subclass names its gateway, its credential
 * fields and how they become Dargah's configuration.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

abstract class Dargah_WC_Gateway extends WC_Payment_Gateway {

	/** Dargah's name for the gateway: vandar, mupra, canpay, atipay. */
	const SLUG = '';

	/** Where `dargah sandbox` listens by default (`make sandbox`). */
	const DEFAULT_SANDBOX_URL = 'http://127.0.0.1:8700';

	public function __construct() {
		$this->id                 = 'dargah_' . static::SLUG;
		$this->method_title       = sprintf(
			/* translators: %s: gateway name */
			__( '%s (Dargah)', 'dargah-woocommerce' ),
			Dargah_WC_Orders::gateway_name( static::SLUG )
		);
		$this->method_description = $this->describe();
		$this->has_fields         = false;
		$this->supports           = array( 'products' );

		$this->init_form_fields();
		$this->init_settings();
		$this->title       = $this->get_option( 'title' );
		$this->description = $this->get_option( 'description' );

		add_action( 'woocommerce_update_options_payment_gateways_' . $this->id, array( $this, 'process_admin_options' ) );
		add_action( 'woocommerce_update_options_payment_gateways_' . $this->id, array( 'Dargah_WC_Config', 'reset' ) );
	}

	/** The settings screen's description of the gateway. */
	protected function describe(): string {
		return sprintf(
			/* translators: %s: gateway name */
			__( 'Payments through %s, verified once by Dargah. Refunds are manual: make them in the gateway\'s panel, then record them in WooCommerce with "Refund manually".', 'dargah-woocommerce' ),
			Dargah_WC_Orders::gateway_name( static::SLUG )
		);
	}

	/**
	 * The gateway's credential fields (WooCommerce settings API form fields).
	 *
	 * @return array<string, array<string, mixed>>
	 */
	abstract protected static function credential_fields(): array;

	/**
	 * Dargah's configuration section for this gateway from its saved
	 * settings, or null when it is not configured.
	 *
	 * @param array<string, mixed> $settings
	 * @return array<string, mixed>|null
	 */
	public static function dargah_config( array $settings ): ?array {
		if ( 'yes' === ( $settings['sandbox'] ?? 'no' ) ) {
			$url = untrailingslashit( (string) ( $settings['sandbox_url'] ?? '' ) );
			$url = '' !== $url ? $url : self::DEFAULT_SANDBOX_URL;
			if ( null !== self::sandbox_url_problem( $url ) ) {
				return null; // Saved before this check, or put in the database by hand: not used.
			}
			$section = static::sandbox_config( $url );
			// The sandbox's second merchant account, as "branch2".
			$section['accounts'] = array( 'branch2' => static::sandbox_second_account( $url ) );
			return $section;
		}
		$section = array();
		foreach ( array_keys( static::credential_fields() ) as $key ) {
			$value = trim( (string) ( $settings[ $key ] ?? '' ) );
			if ( '' !== $value ) {
				$section[ $key ] = $value;
			}
		}
		foreach ( static::required_credentials() as $key ) {
			if ( ! isset( $section[ $key ] ) ) {
				return null;
			}
		}
		$accounts = self::named_accounts( $settings );
		if ( $accounts ) {
			$section['accounts'] = $accounts;
		}
		return $section;
	}

	/** @return list<string> */
	abstract protected static function required_credentials(): array;

	/**
	 * The sandbox's second merchant account (sandbox/README.md, `creds2`).
	 *
	 * @return array<string, mixed>
	 */
	abstract protected static function sandbox_second_account( string $url ): array;

	/**
	 * The named accounts of the "Further merchant accounts" setting: name =>
	 * the gateway's credential fields. Saved as structured fields (an array);
	 * a JSON object saved by an earlier version is read too. Only credential
	 * fields are taken: no base URL, so every account talks to the gateway's
	 * own https address. An account missing a required credential is left out.
	 *
	 * @param array<string, mixed> $settings
	 * @return array<string, array<string, string>>
	 */
	public static function named_accounts( array $settings ): array {
		$accounts = $settings['accounts'] ?? array();
		if ( is_string( $accounts ) ) {
			$accounts = '' === trim( $accounts ) ? array() : json_decode( $accounts, true );
		}
		if ( ! is_array( $accounts ) || array_is_list( $accounts ) ) {
			return array();
		}
		$named = array();
		foreach ( $accounts as $name => $values ) {
			if ( ! is_array( $values ) ) {
				continue;
			}
			$section = array_filter(
				array_map( fn( $v ) => is_scalar( $v ) ? trim( (string) $v ) : '', array_intersect_key( $values, static::credential_fields() ) ),
				fn( $v ) => '' !== $v
			);
			if ( ! array_diff( static::required_credentials(), array_keys( $section ) ) ) {
				$named[ (string) $name ] = $section;
			}
		}
		return $named;
	}

	/**
	 * Why a sandbox address cannot be used, or null when it can: https
	 * anywhere, plain http only to this server (the loopback addresses).
	 * Outside sandbox mode no address is configurable: Dargah uses each
	 * gateway's documented https address.
	 */
	public static function sandbox_url_problem( string $url ): ?string {
		$parts  = wp_parse_url( $url );
		$scheme = strtolower( (string) ( $parts['scheme'] ?? '' ) );
		$host   = strtolower( trim( (string) ( $parts['host'] ?? '' ), '[]' ) );
		if ( '' === $host || ! in_array( $scheme, array( 'http', 'https' ), true ) ) {
			return __( 'The sandbox address must be a full URL, such as http://127.0.0.1:8700.', 'dargah-woocommerce' );
		}
		// An IPv4 address in 127.0.0.0/8, not a name that starts like one (127.0.0.1.example.com).
		$loopback = 'localhost' === $host || '::1' === $host
			|| ( false !== filter_var( $host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4 ) && str_starts_with( $host, '127.' ) );
		if ( 'http' === $scheme && ! $loopback ) {
			return __( 'The sandbox address must use https, or plain http only to this server (127.0.0.1, ::1 or localhost): payments and credentials must not cross a network unencrypted.', 'dargah-woocommerce' );
		}
		return null;
	}

	/**
	 * WooCommerce's validator for the sandbox address: a bad one is refused
	 * with a settings error and the saved address is kept.
	 *
	 * @param string $key
	 * @param mixed  $value
	 */
	public function validate_sandbox_url_field( $key, $value ) {
		$url     = is_string( $value ) ? trim( wp_unslash( $value ) ) : '';
		$url     = '' === $url ? self::DEFAULT_SANDBOX_URL : $url;
		$problem = self::sandbox_url_problem( $url );
		if ( null !== $problem ) {
			$this->settings_error( $problem );
		}
		return esc_url_raw( $url, array( 'http', 'https' ) );
	}

	/**
	 * Refuses the field's new value: the settings page shows the message
	 * and WooCommerce keeps the saved value (it catches the exception).
	 *
	 * @throws Exception Always.
	 */
	private function settings_error( string $message ): never {
		if ( class_exists( 'WC_Admin_Settings' ) ) {
			WC_Admin_Settings::add_error( $message );
		}
		throw new Exception( esc_html( $message ) );
	}

	/**
	 * A secret (type "dargah_secret"): a password field that is never filled
	 * in, so the saved value never reaches the page's HTML; a placeholder
	 * says one is saved, and "remove" forgets it.
	 *
	 * @param string $key
	 * @param array  $data
	 */
	public function generate_dargah_secret_html( $key, $data ) {
		$saved                     = '' !== (string) $this->get_option( $key );
		$data['placeholder']       = $saved ? __( 'Saved. Type a new value to replace it.', 'dargah-woocommerce' ) : '';
		$data['custom_attributes'] = array( 'autocomplete' => 'new-password' );
		$stored                    = $this->settings[ $key ] ?? '';
		$this->settings[ $key ]    = ''; // WooCommerce prints the option as the field's value: print none.
		try {
			$html = $this->generate_password_html( $key, $data );
		} finally {
			$this->settings[ $key ] = $stored;
		}
		if ( ! $saved ) {
			return $html;
		}
		// After WooCommerce's field (its description allows no <input>), inside the field's fieldset.
		$remove = sprintf( '<label><input type="checkbox" name="%s" value="1"> %s</label>', esc_attr( $this->get_field_key( $key ) . '_remove' ), esc_html__( 'Remove the saved value', 'dargah-woocommerce' ) );
		return str_replace( '</fieldset>', $remove . '</fieldset>', $html );
	}

	/**
	 * An empty secret field keeps the saved value; "remove" clears it.
	 *
	 * @param string $key
	 * @param mixed  $value
	 */
	public function validate_dargah_secret_field( $key, $value ) {
		$posted = $this->get_post_data();
		if ( ! empty( $posted[ $this->get_field_key( $key ) . '_remove' ] ) ) {
			return '';
		}
		$value = is_string( $value ) ? trim( wp_unslash( $value ) ) : '';
		return '' === $value ? (string) $this->get_option( $key ) : $value;
	}

	/**
	 * The further merchant accounts (type "dargah_accounts"): one row per
	 * account, its name and the gateway's credential fields, secrets never
	 * printed, and an empty row to add one.
	 *
	 * @param string $key
	 * @param array  $data
	 */
	public function generate_dargah_accounts_html( $key, $data ) {
		$field    = $this->get_field_key( $key );
		$fields   = static::credential_fields();
		$rows     = self::named_accounts( $this->settings );
		$rows[''] = array(); // The row that adds an account.
		$head     = '<th>' . esc_html__( 'Account name', 'dargah-woocommerce' ) . '</th>';
		foreach ( $fields as $cred ) {
			$head .= '<th>' . esc_html( $cred['title'] ) . '</th>';
		}
		$body = '';
		$i    = 0;
		foreach ( $rows as $name => $values ) {
			$prefix = $field . '[' . $i++ . ']';
			$body  .= '<tr><td><input type="hidden" name="' . esc_attr( $prefix . '[was]' ) . '" value="' . esc_attr( $name ) . '"><input type="text" pattern="[a-z][a-z0-9_\-]{0,31}" name="' . esc_attr( $prefix . '[name]' ) . '" value="' . esc_attr( $name ) . '" placeholder="' . esc_attr__( 'e.g. branch2', 'dargah-woocommerce' ) . '"></td>';
			foreach ( $fields as $cred_key => $cred ) {
				$secret = 'dargah_secret' === $cred['type'];
				$saved  = isset( $values[ $cred_key ] );
				$body  .= '<td><input type="' . ( $secret ? 'password' : 'text' ) . '" autocomplete="' . ( $secret ? 'new-password' : 'off' ) . '" name="' . esc_attr( $prefix . '[' . $cred_key . ']' ) . '"'
					// A secret is never printed back; a saved one shows as a placeholder.
					. ( $secret ? ' value="" placeholder="' . ( $saved ? esc_attr__( 'Saved', 'dargah-woocommerce' ) : '' ) . '"' : ' value="' . esc_attr( $values[ $cred_key ] ?? '' ) . '"' ) . '></td>';
			}
			$body .= '<td>' . ( '' === $name ? '' : '<label><input type="checkbox" name="' . esc_attr( $prefix . '[remove]' ) . '" value="1"> ' . esc_html__( 'Remove', 'dargah-woocommerce' ) . '</label>' ) . '</td></tr>';
		}
		return '<tr valign="top"><th scope="row" class="titledesc">' . esc_html( $data['title'] ) . '</th><td class="forminp"><table class="widefat dargah-accounts" id="' . esc_attr( $field ) . '"><thead><tr>' . $head . '<th></th></tr></thead><tbody>' . $body . '</tbody></table><p class="description">' . esc_html( $data['description'] ) . '</p></td></tr>';
	}

	/**
	 * The posted account rows: renamed and removed accounts, secrets left
	 * empty keep their saved values; a bad name or a missing credential is
	 * refused with a settings error and the saved accounts are kept.
	 *
	 * @param string $key
	 * @param mixed  $value
	 * @return array<string, array<string, string>>
	 */
	public function validate_dargah_accounts_field( $key, $value ) {
		$saved    = self::named_accounts( $this->settings );
		$accounts = array();
		foreach ( is_array( $value ) ? $value : array() as $row ) {
			if ( ! is_array( $row ) ) {
				continue;
			}
			$text = fn( $name ) => isset( $row[ $name ] ) && is_string( $row[ $name ] ) ? trim( wp_unslash( $row[ $name ] ) ) : '';
			$name = $text( 'name' );
			if ( '' === $name || ! empty( $row['remove'] ) ) {
				continue;
			}
			if ( 'default' === $name || ! preg_match( '/^[a-z][a-z0-9_-]{0,31}$/', $name ) || isset( $accounts[ $name ] ) ) {
				// The value is not shown back: a credential pasted into the name box would be.
				$this->settings_error( __( 'Further merchant accounts: one name cannot be an account name. A name is 1 to 32 characters: a lowercase letter first, then lowercase letters, digits, "_" or "-"; not "default", and each name once.', 'dargah-woocommerce' ) );
			}
			$before  = $saved[ $text( 'was' ) ] ?? array();
			$account = array();
			foreach ( static::credential_fields() as $cred_key => $cred ) {
				$v = $text( $cred_key );
				$v = '' === $v && 'dargah_secret' === $cred['type'] ? ( $before[ $cred_key ] ?? '' ) : $v;
				if ( '' !== $v ) {
					$account[ $cred_key ] = $v;
				}
			}
			$missing = array_diff( static::required_credentials(), array_keys( $account ) );
			if ( $missing ) {
				/* translators: 1: the account name, 2: the missing fields */
				$this->settings_error( sprintf( __( 'Further merchant accounts: "%1$s" needs %2$s.', 'dargah-woocommerce' ), $name, implode( ', ', array_map( fn( $k ) => static::credential_fields()[ $k ]['title'], $missing ) ) ) );
			}
			$accounts[ $name ] = $account;
		}
		return $accounts;
	}

	/** The merchant account this payment method's payments are made with; null: the default one. */
	public function account(): ?string {
		$account = trim( (string) $this->get_option( 'account', 'default' ) );
		return '' === $account || 'default' === $account ? null : $account;
	}

	/**
	 * The section pointing the gateway at a local `dargah sandbox` with its
	 * fixed test credentials (sandbox/README.md).
	 *
	 * @return array<string, mixed>
	 */
	abstract protected static function sandbox_config( string $url ): array;

	public function init_form_fields() {
		$name              = Dargah_WC_Orders::gateway_name( static::SLUG );
		$this->form_fields = array_merge(
			array(
				'enabled'     => array(
					'title'   => __( 'Enable/Disable', 'dargah-woocommerce' ),
					'type'    => 'checkbox',
					/* translators: %s: gateway name */
					'label'   => sprintf( __( 'Enable %s', 'dargah-woocommerce' ), $name ),
					'default' => 'no',
				),
				'title'       => array(
					'title'       => __( 'Title', 'dargah-woocommerce' ),
					'type'        => 'text',
					'description' => __( 'The name of the payment method the customer sees at checkout.', 'dargah-woocommerce' ),
					/* translators: %s: gateway name */
					'default'     => sprintf( __( 'Pay with %s', 'dargah-woocommerce' ), $name ),
					'desc_tip'    => true,
				),
				'description' => array(
					'title'       => __( 'Description', 'dargah-woocommerce' ),
					'type'        => 'textarea',
					'description' => __( 'What the customer reads under the payment method at checkout.', 'dargah-woocommerce' ),
					'default'     => __( 'Pay with any Shetab bank card on the gateway\'s secure page.', 'dargah-woocommerce' ),
					'desc_tip'    => true,
				),
			),
			static::credential_fields(),
			array(
				'accounts'    => array(
					'title'       => __( 'Further merchant accounts', 'dargah-woocommerce' ),
					'type'        => 'dargah_accounts',
					'description' => __( 'Other merchant accounts at this gateway (a second brand or terminal): a name and the same credentials as above. The fields above are the "default" account. Saved secrets are never shown again; leave a secret empty to keep it.', 'dargah-woocommerce' ),
					'default'     => array(),
				),
				'account'     => array(
					'title'       => __( 'Account for this payment method', 'dargah-woocommerce' ),
					'type'        => 'text',
					'description' => __( 'Which merchant account takes payments made with this method: "default" (the credentials above) or a name from the accounts field. Each payment keeps its account, so changing this never affects payments already made.', 'dargah-woocommerce' ),
					'default'     => 'default',
					'desc_tip'    => true,
				),
				'sandbox'     => array(
					'title'       => __( 'Sandbox mode', 'dargah-woocommerce' ),
					'type'        => 'checkbox',
					'label'       => __( 'Send payments to a local Dargah sandbox instead of the real gateway', 'dargah-woocommerce' ),
					'description' => __( 'For trying the shop out: run "dargah sandbox --port 8700" on this server and pay with any 16-digit card number. The credentials above are not used.', 'dargah-woocommerce' ),
					'default'     => 'no',
				),
				'sandbox_url' => array(
					'title'       => __( 'Sandbox address', 'dargah-woocommerce' ),
					'type'        => 'text',
					'description' => __( 'Where the Dargah sandbox listens: https, or plain http only on this server (127.0.0.1, ::1, localhost).', 'dargah-woocommerce' ),
					'default'     => self::DEFAULT_SANDBOX_URL,
					'desc_tip'    => true,
				),
				'debug'       => array(
					'title'       => __( 'Debug log', 'dargah-woocommerce' ),
					'type'        => 'checkbox',
					'label'       => __( 'Log events', 'dargah-woocommerce' ),
					/* translators: %s: the log source name */
					'description' => sprintf( __( 'Payments, callbacks and the reconcile job are logged in WooCommerce > Status > Logs, source "%s". No credentials are logged.', 'dargah-woocommerce' ), Dargah_WC_Log::SOURCE ),
					'default'     => 'no',
				),
				'delete_records' => array(
					'title'       => __( 'When the plugin is deleted', 'dargah-woocommerce' ),
					'type'        => 'checkbox',
					'label'       => __( 'Delete payment records', 'dargah-woocommerce' ),
					'description' => __( 'Deleting the plugin always removes its settings and scheduled job. Dargah\'s payment records (the wp_dargah_* tables: every payment, its gateway reference and history) are kept unless this is ticked for any Dargah gateway: keep them while a payment may still need checking or refunding.', 'dargah-woocommerce' ),
					'default'     => 'no',
				),
			)
		);
	}

	/** Offered only with the extension, a configuration, and a currency in rial or toman. */
	public function is_available() {
		if ( ! parent::is_available() || ! Dargah_WC_Plugin::extension_loaded() ) {
			return false;
		}
		if ( null === static::dargah_config( $this->settings ) ) {
			return false;
		}
		return Dargah_WC_Currency::supported( $this->currency() );
	}

	/** The order's currency on order-pay, the store's otherwise. */
	private function currency(): string {
		$order_id = absint( get_query_var( 'order-pay' ) );
		$order    = $order_id ? wc_get_order( $order_id ) : false;
		return $order ? $order->get_currency() : get_woocommerce_currency();
	}

	/**
	 * Create the payment (a fresh invoice id per attempt) and send the
	 * customer to the gateway; for a POST gateway, to the order-pay page
	 * whose form submits itself (receipt_page()).
	 *
	 * @param int $order_id
	 * @return array{result: string, redirect?: string}
	 */
	public function process_payment( $order_id ) {
		$order  = wc_get_order( $order_id );
		$amount = Dargah_WC_Currency::to_rial( $order->get_total(), $order->get_currency() );
		if ( null === $amount ) {
			return $this->fail( __( 'This order\'s total cannot be paid through this gateway: the gateway takes whole rial amounts in Iranian rial or toman.', 'dargah-woocommerce' ) );
		}
		$mobile = self::mobile( (string) $order->get_billing_phone() );
		if ( null === $mobile && $this->needs_mobile() ) {
			return $this->fail( __( 'Please enter your mobile number (09...) in the billing phone field: this gateway needs it.', 'dargah-woocommerce' ) );
		}
		/* translators: %s: order number */
		$description = sprintf( __( 'Order %s', 'dargah-woocommerce' ), $order->get_order_number() );
		$invoice     = Dargah_WC_Orders::new_invoice_id( $order );
		try {
			$payment = Dargah_WC_Config::client()->createPayment(
				static::SLUG,
				$invoice,
				$amount,
				Dargah_WC_Callback::callback_url( static::SLUG ),
				$mobile,
				$description,
				null,
				$this->account()
			);
		} catch ( Dargah\InvalidInputException $e ) {
			$this->log( 'warning', "order {$order->get_id()}: payment refused: " . Dargah_WC_Log::describe( $e ) );
			return $this->fail( __( 'The payment could not be started: please check your details (the mobile number in particular) and try again.', 'dargah-woocommerce' ) );
		} catch ( Dargah\Exception $e ) {
			$this->log( 'error', "order {$order->get_id()}: cannot create the payment: " . Dargah_WC_Log::describe( $e ) );
			return $this->fail( __( 'The payment gateway could not be reached. Please try again in a moment.', 'dargah-woocommerce' ) );
		}
		try {
			Dargah_WC_Orders::record_payment( $order, $payment, $order->get_currency() );
		} catch ( RuntimeException $e ) {
			// Not recorded, so not sent to pay: a payment the order does not list could never credit it.
			$this->log( 'error', "order {$order->get_id()}: " . $e->getMessage() );
			return $this->fail( __( 'The payment gateway could not be reached. Please try again in a moment.', 'dargah-woocommerce' ) );
		}
		$order->add_order_note(
			sprintf(
				/* translators: 1: gateway name, 2: amount in rial, 3: invoice id, 4: Dargah payment id */
				__( 'Customer sent to %1$s to pay %2$s rial (invoice %3$s, Dargah payment %4$s).', 'dargah-woocommerce' ),
				Dargah_WC_Orders::gateway_name( static::SLUG ),
				Dargah_WC_Admin::isolate( number_format_i18n( $amount ) ),
				Dargah_WC_Admin::isolate( $invoice ),
				Dargah_WC_Admin::isolate( $payment->id )
			)
		);
		// No save(): record_payment() saved the order's lists on a fresh copy, and this one is stale.
		$this->log( 'info', "order {$order->get_id()}: payment {$payment->id} created, invoice $invoice, $amount rial" );

		return array(
			'result'   => 'success',
			'redirect' => $payment->redirect->isPost() ? $order->get_checkout_payment_url( true ) : $payment->redirect->url,
		);
	}

	/** AtiPay requires the payer's mobile number. */
	protected function needs_mobile(): bool {
		return false;
	}

	/**
	 * An Iranian mobile number as gateways take it (09xxxxxxxxx), from what
	 * a customer types: Persian or Arabic digits, +98 or 0098, spaces.
	 */
	public static function mobile( string $phone ): ?string {
		$phone = strtr( $phone, array_combine( preg_split( '//u', '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', -1, PREG_SPLIT_NO_EMPTY ), str_split( '01234567890123456789' ) ) );
		$phone = preg_replace( '/[^\d+]/', '', $phone );
		$phone = preg_replace( '/^(\+98|0098|98)(?=9\d{9}$)/', '0', $phone );
		return preg_match( '/^09\d{9}$/', $phone ) ? $phone : null;
	}

	/** @return array{result: string} */
	private function fail( string $message ): array {
		wc_add_notice( $message, 'error' );
		return array( 'result' => 'failure' );
	}

	protected function log( string $level, string $message ): void {
		Dargah_WC_Log::log( $level, static::SLUG, $message );
	}
}
