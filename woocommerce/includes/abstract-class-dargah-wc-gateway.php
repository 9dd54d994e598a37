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
			$url     = untrailingslashit( (string) ( $settings['sandbox_url'] ?? '' ) );
			$url     = '' !== $url ? $url : self::DEFAULT_SANDBOX_URL;
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
	 * The named accounts of the "Further merchant accounts" setting (JSON);
	 * empty when it is empty or not a JSON object (Dargah refuses bad names).
	 *
	 * @param array<string, mixed> $settings
	 * @return array<string, array<string, mixed>>
	 */
	public static function named_accounts( array $settings ): array {
		$text = trim( (string) ( $settings['accounts'] ?? '' ) );
		if ( '' === $text ) {
			return array();
		}
		$accounts = json_decode( $text, true );
		if ( ! is_array( $accounts ) || array_is_list( $accounts ) ) {
			return array();
		}
		return array_filter( $accounts, 'is_array' );
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
					'type'        => 'textarea',
					'description' => __( 'Other merchant accounts at this gateway (a second brand or terminal), as JSON: {"branch2": {…the same credential fields…}}. The fields above are the "default" account.', 'dargah-woocommerce' ),
					'default'     => '',
					'desc_tip'    => true,
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
					'description' => __( 'Where the Dargah sandbox listens.', 'dargah-woocommerce' ),
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
		Dargah_WC_Orders::record_payment( $order, $payment, $order->get_currency() );
		$order->add_order_note(
			sprintf(
				/* translators: 1: gateway name, 2: amount in rial, 3: invoice id, 4: Dargah payment id */
				__( 'Customer sent to %1$s to pay %2$s rial (invoice %3$s, Dargah payment %4$s).', 'dargah-woocommerce' ),
				Dargah_WC_Orders::gateway_name( static::SLUG ),
				number_format_i18n( $amount ),
				$invoice,
				$payment->id
			)
		);
		$order->save();
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
