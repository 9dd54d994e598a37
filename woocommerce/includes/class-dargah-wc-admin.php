<?php
/**
 * The order screen's "Dargah payments" box: every attempt and what Dargah
 * knows of it (state, amounts, the gateway's reference, trace number and
 * card, why it ended, when it was paid and acknowledged) — and the words
 * of it that the owner reads: state names, Dargah's notes in the site's
 * language, dates in the Solar Hijri calendar in Persian, and ids, card
 * masks and amounts isolated so that a right-to-left page does not
 * reverse them.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Admin {

	/** Payment properties shown as left-to-right runs (ids, card masks, references) in any page. */
	const LTR_FIELDS = array( 'invoiceId', 'reference', 'traceNumber', 'unverifiedTraceNumber', 'maskedCard', 'amount', 'verifiedAmount' );

	public static function add_meta_box(): void {
		// The orders screen's id differs with HPOS on or off; WooCommerce knows which.
		$screen = function_exists( 'wc_get_page_screen_id' ) ? wc_get_page_screen_id( 'shop-order' ) : 'shop_order';
		add_meta_box( 'dargah-payments', __( 'Dargah payments', 'dargah-woocommerce' ), array( __CLASS__, 'render' ), $screen, 'normal', 'default' );
	}

	/** @param WP_Post|WC_Order $post_or_order As WooCommerce passes it, with HPOS on or off. */
	public static function render( $post_or_order ): void {
		$order = $post_or_order instanceof WC_Order ? $post_or_order : wc_get_order( $post_or_order->ID ?? 0 );
		$ids   = $order ? Dargah_WC_Orders::payment_ids( $order ) : array();
		if ( ! $ids ) {
			echo '<p>' . esc_html__( 'No Dargah payment was made for this order.', 'dargah-woocommerce' ) . '</p>';
			return;
		}
		$rows = array(
			'state'          => __( 'State', 'dargah-woocommerce' ),
			'amount'         => __( 'Amount (rial)', 'dargah-woocommerce' ),
			'verifiedAmount' => __( 'Verified amount (rial)', 'dargah-woocommerce' ),
			'invoiceId'      => __( 'Invoice', 'dargah-woocommerce' ),
			'reference'      => __( 'Reference', 'dargah-woocommerce' ),
			'traceNumber'    => __( 'Trace number', 'dargah-woocommerce' ),
			'unverifiedTraceNumber' => __( 'Trace number from the browser (unverified, not proof)', 'dargah-woocommerce' ),
			'maskedCard'     => __( 'Card', 'dargah-woocommerce' ),
			'note'           => __( 'Note', 'dargah-woocommerce' ),
			'createdAt'      => __( 'Created', 'dargah-woocommerce' ),
			'updatedAt'      => __( 'Last change', 'dargah-woocommerce' ),
			'deadlineAt'     => __( 'Gateway deadline', 'dargah-woocommerce' ),
			'paidAt'         => __( 'Paid', 'dargah-woocommerce' ),
			'acknowledgedAt' => __( 'Credited to the order', 'dargah-woocommerce' ),
		);
		echo '<div class="dargah-history">';
		foreach ( array_reverse( $ids ) as $id ) {
			try {
				$payment = Dargah_WC_Config::client()->payment( $id );
			} catch ( Dargah\Exception $e ) {
				/* translators: 1: Dargah payment id, 2: error */
				echo '<p>' . esc_html( sprintf( __( 'Payment %1$s: cannot be read (%2$s).', 'dargah-woocommerce' ), $id, $e->getMessage() ) ) . '</p>';
				continue;
			}
			/* translators: 1: gateway name, 2: Dargah payment id */
			echo '<h4>' . esc_html( sprintf( __( '%1$s payment %2$s', 'dargah-woocommerce' ), Dargah_WC_Orders::gateway_name( $payment->gateway ), self::isolate( $payment->id ) ) ) . '</h4>';
			echo '<table class="widefat striped" data-payment="' . esc_attr( $payment->id ) . '"><tbody>';
			foreach ( $rows as $property => $label ) {
				$value = 'note' === $property ? self::note_text( $payment->note ) : self::show( $payment->$property );
				if ( '' === $value ) {
					continue;
				}
				// <bdi dir="ltr">: "603799******7890" stays in that order on a right-to-left page.
				$cell = in_array( $property, self::LTR_FIELDS, true ) ? '<bdi dir="ltr">' . esc_html( $value ) . '</bdi>' : esc_html( $value );
				echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td data-field="' . esc_attr( $property ) . '">' . $cell . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput -- escaped just above.
			}
			echo '</tbody></table>';
		}
		if ( 'dargah_vandar' !== $order->get_payment_method() ) {
			echo '<p><em>' . esc_html__( 'Refunds for this gateway are manual: make them in the gateway\'s panel, then record them here with "Refund manually".', 'dargah-woocommerce' ) . '</em></p>';
		}
		echo '</div>';
	}

	/** @param mixed $value A Payment property. */
	private static function show( $value ): string {
		if ( $value instanceof DateTimeInterface ) {
			return self::date_text( $value );
		}
		if ( $value instanceof BackedEnum ) {
			return self::state_label( (string) $value->value );
		}
		if ( is_int( $value ) ) {
			return number_format_i18n( $value );
		}
		return null === $value ? '' : (string) $value;
	}

	public static function state_label( string $state ): string {
		$labels = array(
			'created'      => __( 'created', 'dargah-woocommerce' ),
			'awaiting'     => __( 'awaiting the customer', 'dargah-woocommerce' ),
			'verifying'    => __( 'being verified', 'dargah-woocommerce' ),
			'in_doubt'     => __( 'in doubt (being checked again)', 'dargah-woocommerce' ),
			'paid'         => __( 'paid', 'dargah-woocommerce' ),
			'failed'       => __( 'failed', 'dargah-woocommerce' ),
			'cancelled'    => __( 'cancelled', 'dargah-woocommerce' ),
			'expired'      => __( 'expired', 'dargah-woocommerce' ),
			'needs_review' => __( 'needs review', 'dargah-woocommerce' ),
			// An outcome, not a state: the gateway's answer is not known yet.
			'in_progress'  => __( 'not known yet', 'dargah-woocommerce' ),
		);
		return $labels[ $state ] ?? $state;
	}

	/**
	 * A date and time in the site's time zone: in the Solar Hijri calendar
	 * when the reader's language is Persian and PHP has intl (ICU's Persian
	 * calendar: "۱۴ آذر ۱۴۰۵ ساعت ۲۱:۵۳"), WordPress's own formats otherwise.
	 */
	public static function date_text( DateTimeInterface $when ): string {
		$locale = function_exists( 'determine_locale' ) ? determine_locale() : get_locale();
		if ( str_starts_with( $locale, 'fa' ) && class_exists( 'IntlDateFormatter' ) ) {
			$formatter = new IntlDateFormatter( 'fa_IR@calendar=persian', IntlDateFormatter::LONG, IntlDateFormatter::SHORT, wp_timezone(), IntlDateFormatter::TRADITIONAL );
			$text      = $formatter->format( $when );
			if ( false !== $text ) {
				return $text;
			}
		}
		return wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $when->getTimestamp() );
	}

	/**
	 * A left-to-right run inside a sentence of any direction, for plain text
	 * (order notes, e-mails): Unicode's LEFT-TO-RIGHT ISOLATE … POP
	 * DIRECTIONAL ISOLATE, invisible, and kept where HTML tags are stripped.
	 */
	public static function isolate( string $text ): string {
		return "\u{2066}" . $text . "\u{2069}";
	}

	/**
	 * Dargah's note on a payment (English, from the engine) in the reader's
	 * language: each "; "-separated part that is one of the engine's known
	 * sentences is translated, with the gateway's own words, amounts and ids
	 * kept; an unknown part stays in English, so nothing is lost.
	 */
	public static function note_text( ?string $note ): string {
		if ( null === $note || '' === $note ) {
			return '';
		}
		$parts = array_map( array( __CLASS__, 'note_part' ), explode( '; ', $note ) );
		/* translators: separates the parts of a note (English "; ") */
		return implode( _x( '; ', 'note parts', 'dargah-woocommerce' ), $parts );
	}

	/** One part of an engine note: see core/src/engine.rs and core/src/gateways/*.rs for the sentences. */
	private static function note_part( string $part ): string {
		$number = '(\d[\d,]*)';
		$known  = array(
			'/^amount mismatch: the gateway says ' . $number . '? rial, the order is ' . $number . ' rial$/' =>
				/* translators: 1: amount the gateway verified, in rial, 2: the payment's amount in rial */
				__( 'amount mismatch: the gateway says %1$s rial, the order is %2$s rial', 'dargah-woocommerce' ),
			'/^(\w+): no receipt of its own so far$/' =>
				/* translators: %s: gateway */
				__( '%s: no receipt of its own so far', 'dargah-woocommerce' ),
			'/^a callback\'s receipt verified for ' . $number . ' rial, not this order\'s ' . $number . ' rial, so it is another order\'s$/' =>
				/* translators: 1: amount verified for a callback's receipt, in rial, 2: the payment's amount in rial */
				__( 'a callback\'s receipt verified for %1$s rial, not this order\'s %2$s rial, so it is another order\'s', 'dargah-woocommerce' ),
			'/^verification in doubt: (.*)$/s' =>
				/* translators: %s: the error, as the engine reported it */
				__( 'verification in doubt: %s', 'dargah-woocommerce' ),
			'/^a verify of ours may have gone through, so a person must check$/' =>
				__( 'a verify of ours may have gone through, so a person must check', 'dargah-woocommerce' ),
			'/^an earlier verify of ours may have gone through$/' =>
				__( 'an earlier verify of ours may have gone through', 'dargah-woocommerce' ),
			'/^asked again until the deadline, and a verify of ours may have gone through, so a person must check$/' =>
				__( 'asked again until the deadline, and a verify of ours may have gone through, so a person must check', 'dargah-woocommerce' ),
			'/^asked again until the deadline, then a person must check$/' =>
				__( 'asked again until the deadline, then a person must check', 'dargah-woocommerce' ),
			'/^mupra verify: not paid$/' =>
				__( 'Mupra\'s verify: not paid', 'dargah-woocommerce' ),
			'/^atipay: no referenceNumber from a callback, so the payment cannot be verified$/' =>
				__( 'AtiPay: the callback brought no referenceNumber, so the payment cannot be verified', 'dargah-woocommerce' ),
			'/^(.+) says paid but gives no amount to check against the order$/' =>
				/* translators: %s: the gateway's answer (e.g. "atipay verify-payment") */
				__( '%s says paid but gives no amount to check against the order', 'dargah-woocommerce' ),
			'/^vandar transaction info still shows the payment paid and awaiting verify \(code 1\), but a verify of ours was refused earlier: Vandar answers once, so it is not verified again$/' =>
				__( 'Vandar\'s transaction info still shows the payment paid and awaiting verify (code 1), but a verify of ours was refused earlier: Vandar answers once, so it is not verified again', 'dargah-woocommerce' ),
			'/^vandar verify refused a payment transaction info shows paid and awaiting verify: (.*)$/s' =>
				/* translators: %s: Vandar's message */
				__( 'Vandar\'s verify refused a payment that transaction info shows paid and awaiting verify: %s', 'dargah-woocommerce' ),
			'/^vandar transaction info refused: (.*)$/s' =>
				/* translators: %s: Vandar's message */
				__( 'Vandar refused transaction info: %s', 'dargah-woocommerce' ),
			'/^vandar transaction info: code 1 with no payment date or receipt: not paid yet$/' =>
				__( 'Vandar\'s transaction info: code 1 with no payment date or receipt: not paid yet', 'dargah-woocommerce' ),
			'/^vandar transaction info: code (\S+) \((.*)\), which the document does not describe$/s' =>
				/* translators: 1: Vandar's code, 2: Vandar's message */
				__( 'Vandar\'s transaction info: code %1$s (%2$s), which the document does not describe', 'dargah-woocommerce' ),
			'/^refused a callback whose receipt already paid (\S+)$/' =>
				/* translators: %s: Dargah payment id */
				__( 'refused a callback whose receipt already paid %s', 'dargah-woocommerce' ),
			'/^(mupra verify|canpay verify|atipay verify-payment|vandar verify): (.*)$/s' =>
				/* translators: 1: the gateway's call, 2: the gateway's message */
				__( '%1$s refused: %2$s', 'dargah-woocommerce' ),
		);
		foreach ( $known as $pattern => $text ) {
			if ( preg_match( $pattern, $part, $m ) ) {
				// Numbers, ids and the gateway's own words stay as they came, isolated from the sentence's direction.
				return vsprintf( $text, array_map( array( __CLASS__, 'isolate' ), array_slice( $m, 1 ) ) );
			}
		}
		return $part;
	}
}
