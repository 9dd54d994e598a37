<?php
/**
 * Where gateways send the customer back (WooCommerce's wc-api endpoint
 * "dargah_<gateway>"), the order-pay page's form for AtiPay, and the
 * "checking your payment" page.
 *
 * The callback needs no session and no cookie: CanPay and AtiPay post a
 * form from their own site, a cross-site request that carries no
 * SameSite=Lax cookie. The payment and its order are found from the
 * callback itself, and Dargah verifies the payment with the gateway, once.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Callback {

	public static function handle_vandar(): void {
		self::handle( 'vandar' );
	}

	public static function handle_mupra(): void {
		self::handle( 'mupra' );
	}

	public static function handle_canpay(): void {
		self::handle( 'canpay' );
	}

	public static function handle_atipay(): void {
		self::handle( 'atipay' );
	}

	/**
	 * Without the dargah extension: the customer coming back from the
	 * gateway reads that the payment is received and will be confirmed (the
	 * reconcile job does, once the extension is back), not a bare "-1".
	 * 503 with Retry-After: nothing was processed, the same callback works later.
	 */
	public static function extension_missing(): void {
		header( 'Retry-After: 300' );
		self::page(
			__( 'Payment received', 'dargah-woocommerce' ),
			'<p id="dargah-unavailable">' . esc_html__( 'Thank you: we have received you back from the payment gateway. We will confirm your payment shortly; if it went through, your order is updated within a few minutes and you need not pay again.', 'dargah-woocommerce' ) . '</p>',
			503
		);
	}

	/**
	 * A request's parameters as the strings a gateway sends: array-shaped
	 * ones (?key[]=x) are no gateway's and no page's, and are dropped, so
	 * that no parameter's shape can raise a PHP warning or a type error.
	 *
	 * @param mixed $params $_GET or $_POST, unslashed.
	 * @return array<string, string>
	 */
	private static function strings( $params ): array {
		$strings = array();
		foreach ( is_array( $params ) ? $params : array() as $name => $value ) {
			if ( is_scalar( $value ) ) {
				$strings[ (string) $name ] = (string) $value;
			}
		}
		return $strings;
	}

	public static function callback_url( string $slug ): string {
		return WC()->api_request_url( "dargah_$slug" );
	}

	/** The callback, GET or POST, exactly as it came (WordPress adds slashes to both). */
	public static function handle( string $slug ): void {
		// phpcs:disable WordPress.Security.NonceVerification -- the gateway's request carries no nonce; Dargah verifies with the gateway.
		$query = self::strings( wp_unslash( $_GET ) );
		$body  = self::strings( wp_unslash( $_POST ) );
		// phpcs:enable
		if ( isset( $query['dargah_check'] ) ) {
			self::check_again( $slug, absint( $query['order'] ?? 0 ), $query['key'] ?? '' );
			return;
		}
		unset( $query['wc-api'] );
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? sanitize_key( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : 'get';
		Dargah_WC_Log::log( 'debug', $slug, sprintf( 'callback by %s%s', strtoupper( $method ), isset( $_COOKIE ) && $_COOKIE ? '' : ', without cookies' ) );
		try {
			$outcome = Dargah_WC_Config::client()->handleCallback( $slug, $query, $body );
		} catch ( Dargah\InvalidCallbackException | Dargah\UnknownPaymentException | Dargah\InvalidInputException $e ) {
			Dargah_WC_Log::log( 'warning', $slug, 'refused a callback: ' . Dargah_WC_Log::describe( $e ) );
			self::page( __( 'Payment', 'dargah-woocommerce' ), '<p>' . esc_html__( 'This payment link is not valid.', 'dargah-woocommerce' ) . '</p>', 400 );
		} catch ( Dargah\Exception $e ) {
			// The gateway did not answer clearly: the payment stays open and the reconcile job settles it.
			Dargah_WC_Log::log( 'error', $slug, 'callback in doubt: ' . Dargah_WC_Log::describe( $e ) );
			self::page( __( 'Payment', 'dargah-woocommerce' ), '<p>' . esc_html__( 'We could not confirm your payment with the gateway yet. If you paid, your order will be updated within a few minutes.', 'dargah-woocommerce' ) . '</p>', 503 );
		}
		$payment = $outcome->payment;
		$order   = Dargah_WC_Orders::order_for_payment( $payment->id, $payment->invoiceId );
		if ( ! $order ) {
			Dargah_WC_Log::log( 'warning', $slug, "payment {$payment->id} belongs to no order of this shop" );
			self::page( __( 'Payment', 'dargah-woocommerce' ), '<p>' . esc_html__( 'We do not know this order.', 'dargah-woocommerce' ) . '</p>', 404 );
		}
		Dargah_WC_Log::log( 'info', $slug, "order {$order->get_id()}: callback for payment {$payment->id}: {$outcome->kind->value}" );

		switch ( $outcome->kind ) {
			case Dargah\OutcomeKind::NewlyPaid:
				self::credit_or_check_again( $slug, $order, $payment, __( 'by the gateway callback', 'dargah-woocommerce' ) );
				self::redirect( self::gateway( $slug )->get_return_url( $order ) );
				// No break: redirect() exits.
			case Dargah\OutcomeKind::AlreadyPaid:
				self::redirect( self::gateway( $slug )->get_return_url( $order ) );
			case Dargah\OutcomeKind::InProgress:
				self::checking_page( $slug, $order );
			case Dargah\OutcomeKind::NeedsReview:
				Dargah_WC_Orders::hold_for_review( $order, $payment );
				self::redirect( self::gateway( $slug )->get_return_url( $order ) );
			default: // Failed, cancelled.
				self::after_unpaid( $slug, $order, $payment, $outcome->kind->value );
		}
	}

	/**
	 * Failed or cancelled: a note, then back to pay again with a notice
	 * (unless another attempt paid). A payment still open is only not
	 * confirmed yet (the gateway may confirm it before its deadline), and the
	 * customer is told so, never that it failed for good.
	 */
	private static function after_unpaid( string $slug, WC_Order $order, Dargah\Payment $payment, string $what ): void {
		Dargah_WC_Orders::note_unpaid( $order, $payment, $what );
		if ( $order->is_paid() ) {
			self::redirect( self::gateway( $slug )->get_return_url( $order ) );
		}
		$open   = in_array( $payment->state->value, Dargah_WC_Orders::OPEN_STATES, true );
		$notice = $open ? 'not_confirmed' : ( 'cancelled' === $what ? 'cancelled' : 'failed' );
		// The notice travels in the address: this cross-site request has no session to keep it in.
		self::redirect( add_query_arg( 'dargah_notice', $notice, $order->get_checkout_payment_url() ) );
	}

	/**
	 * The "checking again" page asks here: the order's key proves it is the
	 * customer's. The payment's stored state decides; no gateway call.
	 */
	private static function check_again( string $slug, int $order_id, string $key ): void {
		$order = $order_id ? wc_get_order( $order_id ) : false;
		if ( ! $order instanceof WC_Order || '' === $key || ! hash_equals( $order->get_order_key(), $key ) ) {
			self::page( __( 'Payment', 'dargah-woocommerce' ), '<p>' . esc_html__( 'This payment link is not valid.', 'dargah-woocommerce' ) . '</p>', 400 );
		}
		$return = self::gateway( $slug )->get_return_url( $order );
		if ( $order->is_paid() ) {
			self::redirect( $return );
		}
		$id = Dargah_WC_Orders::latest_payment_id( $order );
		try {
			$payment = $id ? Dargah_WC_Config::client()->payment( $id ) : null;
		} catch ( Dargah\Exception $e ) {
			$payment = null;
		}
		$state = $payment ? $payment->state->value : 'in_doubt';
		if ( 'paid' === $state ) {
			// Paid; the request that was told "newly paid" credits it, or, if it died, this does.
			self::credit_or_check_again( $slug, $order, $payment, __( 'by the checking page', 'dargah-woocommerce' ) );
			self::redirect( $return );
		}
		if ( 'needs_review' === $state ) {
			Dargah_WC_Orders::hold_for_review( $order, $payment );
			self::redirect( $return );
		}
		if ( in_array( $state, array( 'failed', 'cancelled', 'expired' ), true ) ) {
			self::after_unpaid( $slug, $order, $payment, $state );
		}
		self::checking_page( $slug, $order );
	}

	/**
	 * Credit the order; when WooCommerce cannot complete it yet (another
	 * plugin's hook failing), the customer reads the "checking again" page
	 * instead of an error, and the reconcile job credits the order later.
	 * After a failure the page's reloads leave the crediting to the job for a
	 * minute: each failed attempt adds WooCommerce's note to the order.
	 */
	private static function credit_or_check_again( string $slug, WC_Order $order, Dargah\Payment $payment, string $how ): void {
		$failed_recently = 'dargah_wc_credit_failed_' . $payment->id;
		if ( get_transient( $failed_recently ) ) {
			self::checking_page( $slug, $order );
		}
		try {
			Dargah_WC_Orders::credit( $order, $payment, $how );
		} catch ( Throwable $e ) {
			Dargah_WC_Log::log( 'error', $slug, "order {$order->get_id()}: crediting payment {$payment->id} failed, the reconcile job tries again: " . Dargah_WC_Log::describe( $e ) );
			set_transient( $failed_recently, 1, MINUTE_IN_SECONDS );
			self::checking_page( $slug, $order );
		}
	}

	/** in_progress: another request is verifying this payment right now. */
	private static function checking_page( string $slug, WC_Order $order ): void {
		$again = add_query_arg(
			array(
				'dargah_check' => 1,
				'order'        => $order->get_id(),
				'key'          => $order->get_order_key(),
			),
			self::callback_url( $slug )
		);
		$body = '<p id="dargah-checking">' . esc_html__( 'We are confirming your payment with the gateway. This page checks again in a few seconds.', 'dargah-woocommerce' ) . '</p>'
			. '<p><a href="' . esc_url( $again ) . '">' . esc_html__( 'Check now', 'dargah-woocommerce' ) . '</a></p>';
		self::page( __( 'Confirming your payment', 'dargah-woocommerce' ), $body, 200, '<meta http-equiv="refresh" content="3;url=' . esc_url( $again ) . '">' );
	}

	/**
	 * The order-pay (receipt) page WooCommerce shows after process_payment()
	 * for AtiPay, whose payment page takes a POST: the form submits itself.
	 */
	public static function receipt_page( $order_id ): void {
		$order = wc_get_order( $order_id );
		$id    = $order ? Dargah_WC_Orders::latest_payment_id( $order ) : null;
		if ( ! $id ) {
			return;
		}
		try {
			$payment = Dargah_WC_Config::client()->payment( $id );
		} catch ( Dargah\Exception $e ) {
			Dargah_WC_Log::log( 'error', null, "order {$order->get_id()}: cannot read payment $id: " . Dargah_WC_Log::describe( $e ) );
			return;
		}
		if ( ! $payment->redirect || ! in_array( $payment->state->value, Dargah_WC_Orders::OPEN_STATES, true ) ) {
			return;
		}
		$redirect = $payment->redirect;
		echo '<p>' . esc_html__( 'Taking you to the payment gateway...', 'dargah-woocommerce' ) . '</p>';
		echo '<form id="dargah-redirect" method="' . esc_attr( strtolower( $redirect->method ) ) . '" action="' . esc_url( $redirect->url ) . '">';
		foreach ( $redirect->fields as $name => $value ) {
			echo '<input type="hidden" name="' . esc_attr( $name ) . '" value="' . esc_attr( $value ) . '">';
		}
		echo '<button type="submit" class="button alt">' . esc_html__( 'Continue to the payment gateway', 'dargah-woocommerce' ) . '</button></form>';
		echo '<script>document.getElementById("dargah-redirect").submit();</script>';
	}

	/** On the page the customer is sent back to: the notice that came in the address. */
	public static function show_return_notice(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a display-only flag.
		$notice = isset( $_GET['dargah_notice'] ) ? sanitize_key( wp_unslash( $_GET['dargah_notice'] ) ) : '';
		if ( '' === $notice || ! function_exists( 'wc_add_notice' ) ) {
			return;
		}
		$messages = array(
			'not_confirmed' => __( 'Your payment is not confirmed yet. You can try again; if money was taken from your card for this attempt, your order will be updated when the gateway confirms it.', 'dargah-woocommerce' ),
			'failed'        => __( 'Your payment was not completed. You can try again.', 'dargah-woocommerce' ),
			'cancelled'     => __( 'You cancelled the payment. You can try again.', 'dargah-woocommerce' ),
		);
		if ( isset( $messages[ $notice ] ) ) {
			wc_add_notice( $messages[ $notice ], 'error' );
		}
	}

	private static function gateway( string $slug ): WC_Payment_Gateway {
		$gateways = WC()->payment_gateways()->payment_gateways();
		return $gateways[ "dargah_$slug" ];
	}

	/** 303: reloading the next page never sends the callback again. */
	private static function redirect( string $url ): never {
		wp_safe_redirect( $url, 303 );
		exit;
	}

	private static function page( string $title, string $body, int $status, string $head = '' ): never {
		// WooCommerce buffers wc-api output and discards it: drop the buffers and answer here.
		while ( ob_get_level() > 0 ) {
			ob_end_clean();
		}
		status_header( $status );
		nocache_headers();
		header( 'Content-Type: text/html; charset=utf-8' );
		printf(
			'<!doctype html><html %1$s><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">%2$s<title>%3$s</title></head><body><main style="max-width:40em;margin:3em auto;font-family:sans-serif"><h1>%3$s</h1>%4$s<p><a href="%5$s">%6$s</a></p></main></body></html>',
			get_language_attributes(), // phpcs:ignore WordPress.Security.EscapeOutput -- WordPress escapes it.
			$head, // phpcs:ignore WordPress.Security.EscapeOutput -- built from esc_url above.
			esc_html( $title ),
			wp_kses_post( $body ),
			esc_url( home_url( '/' ) ),
			esc_html__( 'Back to the shop', 'dargah-woocommerce' )
		);
		exit;
	}
}
