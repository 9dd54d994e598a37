<?php
/**
 * The order screen's "Dargah payments" box: every attempt and what Dargah
 * knows of it (state, amounts, the gateway's reference, trace number and
 * card, why it ended, when it was paid and acknowledged).
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Admin {

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
			echo '<h4>' . esc_html( sprintf( __( '%1$s payment %2$s', 'dargah-woocommerce' ), Dargah_WC_Orders::gateway_name( $payment->gateway ), $payment->id ) ) . '</h4>';
			echo '<table class="widefat striped" data-payment="' . esc_attr( $payment->id ) . '"><tbody>';
			foreach ( $rows as $property => $label ) {
				$value = self::show( $payment->$property );
				if ( '' === $value ) {
					continue;
				}
				echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td data-field="' . esc_attr( $property ) . '">' . esc_html( $value ) . '</td></tr>';
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
			return wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $value->getTimestamp() );
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
}
