<?php
/**
 * The Dargah payments page's table: payments waiting for review first, then
 * the newest; filters by state (or "needs review") and gateway.
 *
 * Dargah's store lists payments by state; the table reads the newest
 * MAX_LISTED of them and pages through those (a shop's admin needs the
 * recent ones; the CLI lists everything).
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Review_Table extends WP_List_Table {

	const PER_PAGE   = 20;
	const MAX_LISTED = 500;
	/** The state filter's value for the review queue (not one of Dargah's states). */
	const REVIEW = 'review';

	/** @var array<string, object> the queue's waiting rows by payment id */
	private array $waiting = array();
	/** @var array<string, object> every queue row by payment id (for the reason) */
	private array $flagged = array();

	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'dargah-payment',
				'plural'   => 'dargah-payments',
				'ajax'     => false,
				'screen'   => 'woocommerce_page_' . Dargah_WC_Review::PAGE,
			)
		);
	}

	public function get_columns() {
		return array(
			'payment' => __( 'Payment', 'dargah-woocommerce' ),
			'order'   => __( 'Order', 'dargah-woocommerce' ),
			'gateway' => __( 'Gateway', 'dargah-woocommerce' ),
			'state'   => __( 'State', 'dargah-woocommerce' ),
			'amount'  => __( 'Amount (rial)', 'dargah-woocommerce' ),
			'reason'  => __( 'Reason', 'dargah-woocommerce' ),
			'created' => __( 'Created', 'dargah-woocommerce' ),
		);
	}

	/** The filters from the address: [state or "review" or "", gateway or ""]. */
	private static function filters(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- a display filter.
		$state   = isset( $_GET['dargah_state'] ) ? sanitize_key( wp_unslash( $_GET['dargah_state'] ) ) : '';
		$gateway = isset( $_GET['dargah_gateway'] ) ? sanitize_key( wp_unslash( $_GET['dargah_gateway'] ) ) : '';
		// phpcs:enable
		$states = array_merge( array( self::REVIEW ), array_column( Dargah\PaymentState::cases(), 'value' ) );
		return array(
			in_array( $state, $states, true ) ? $state : '',
			isset( Dargah_WC_Plugin::GATEWAYS[ $gateway ] ) ? $gateway : '',
		);
	}

	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), array() );
		[ $state, $gateway ]   = self::filters();
		$this->waiting         = Dargah_WC_Review::rows( true );
		$this->flagged         = Dargah_WC_Review::rows( false );
		$client                = Dargah_WC_Config::client();
		try {
			if ( self::REVIEW === $state ) {
				$payments = array_map( array( $client, 'payment' ), array_map( 'strval', array_keys( $this->waiting ) ) );
			} else {
				$payments = $client->payments( '' === $state ? null : $state, self::MAX_LISTED );
				// Waiting ones come first even when they are older than the newest listed.
				$listed = array_map( fn( $p ) => $p->id, $payments );
				foreach ( array_diff( array_map( 'strval', array_keys( $this->waiting ) ), $listed ) as $id ) {
					$payment = $client->payment( $id );
					if ( '' === $state || $payment->state->value === $state ) {
						$payments[] = $payment;
					}
				}
			}
		} catch ( Dargah\Exception $e ) {
			Dargah_WC_Log::log( 'error', null, 'the payments page cannot read payments: ' . Dargah_WC_Log::describe( $e ) );
			$payments = array();
		}
		if ( '' !== $gateway ) {
			$payments = array_filter( $payments, fn( $p ) => $p->gateway === $gateway );
		}
		usort(
			$payments,
			fn( $a, $b ) => array( isset( $this->waiting[ $b->id ] ), $b->createdAt ) <=> array( isset( $this->waiting[ $a->id ] ), $a->createdAt )
		);
		$total       = count( $payments );
		$page        = $this->get_pagenum();
		$this->items = array_slice( $payments, ( $page - 1 ) * self::PER_PAGE, self::PER_PAGE );
		$this->set_pagination_args(
			array(
				'total_items' => $total,
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/** The filters above the table. */
	protected function extra_tablenav( $which ) {
		if ( 'top' !== $which ) {
			return;
		}
		[ $state, $gateway ] = self::filters();
		echo '<div class="alignleft actions">';
		echo '<label class="screen-reader-text" for="dargah-state">' . esc_html__( 'Filter by state', 'dargah-woocommerce' ) . '</label>';
		echo '<select name="dargah_state" id="dargah-state"><option value="">' . esc_html__( 'All states', 'dargah-woocommerce' ) . '</option>';
		printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( self::REVIEW ), selected( $state, self::REVIEW, false ), esc_html__( 'Waiting for review', 'dargah-woocommerce' ) );
		foreach ( Dargah\PaymentState::cases() as $case ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $case->value ), selected( $state, $case->value, false ), esc_html( Dargah_WC_Admin::state_label( $case->value ) ) );
		}
		echo '</select>';
		echo '<label class="screen-reader-text" for="dargah-gateway">' . esc_html__( 'Filter by gateway', 'dargah-woocommerce' ) . '</label>';
		echo '<select name="dargah_gateway" id="dargah-gateway"><option value="">' . esc_html__( 'All gateways', 'dargah-woocommerce' ) . '</option>';
		foreach ( array_keys( Dargah_WC_Plugin::GATEWAYS ) as $slug ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $slug ), selected( $gateway, $slug, false ), esc_html( Dargah_WC_Orders::gateway_name( $slug ) ) );
		}
		echo '</select>';
		submit_button( __( 'Filter', 'dargah-woocommerce' ), '', 'dargah_filter', false, array( 'id' => 'dargah-filter' ) );
		echo '</div>';
	}

	public function no_items() {
		esc_html_e( 'No Dargah payments here.', 'dargah-woocommerce' );
	}

	/** Each row says which payment it is and whether it waits for review. */
	public function single_row( $item ) {
		printf( '<tr data-payment="%1$s"%2$s>', esc_attr( $item->id ), isset( $this->waiting[ $item->id ] ) ? ' class="dargah-needs-review"' : '' );
		$this->single_row_columns( $item );
		echo '</tr>';
	}

	/** @param Dargah\Payment $item */
	protected function column_payment( $item ) {
		$actions = array(
			'check'   => sprintf( '<a href="%1$s" class="dargah-check">%2$s</a>', esc_url( Dargah_WC_Review::action_url( 'check', $item->id ) ), esc_html__( 'Check again', 'dargah-woocommerce' ) ),
			'history' => sprintf(
				'<a href="%1$s" class="dargah-history-link">%2$s</a>',
				esc_url(
					Dargah_WC_Review::page_url(
						array(
							'view'    => 'history',
							'payment' => $item->id,
						)
					)
				),
				esc_html__( 'History', 'dargah-woocommerce' )
			),
		);
		if ( isset( $this->waiting[ $item->id ] ) ) {
			$actions['reviewed'] = sprintf( '<a href="%1$s" class="dargah-reviewed">%2$s</a>', esc_url( Dargah_WC_Review::action_url( 'reviewed', $item->id ) ), esc_html__( 'Mark as reviewed', 'dargah-woocommerce' ) );
		}
		return '<code dir="ltr">' . esc_html( $item->id ) . '</code>' . $this->row_actions( $actions );
	}

	/** @param Dargah\Payment $item */
	protected function column_order( $item ) {
		$order = Dargah_WC_Orders::order_for_payment( $item->id, $item->invoiceId );
		if ( ! $order ) {
			return '<bdi>' . esc_html( $item->invoiceId ) . '</bdi>';
		}
		return sprintf( '<a href="%1$s" class="dargah-order"><bdi>#%2$s</bdi></a>', esc_url( $order->get_edit_order_url() ), esc_html( $order->get_order_number() ) );
	}

	/** @param Dargah\Payment $item */
	protected function column_gateway( $item ) {
		return esc_html( Dargah_WC_Orders::gateway_name( $item->gateway ) );
	}

	/** @param Dargah\Payment $item */
	protected function column_state( $item ) {
		$label = esc_html( Dargah_WC_Admin::state_label( $item->state->value ) );
		if ( isset( $this->waiting[ $item->id ] ) ) {
			$label .= '<br><strong class="dargah-waiting">' . esc_html__( 'waiting for review', 'dargah-woocommerce' ) . '</strong>';
		}
		return $label;
	}

	/** @param Dargah\Payment $item */
	protected function column_amount( $item ) {
		$amount = '<bdi dir="ltr">' . esc_html( number_format_i18n( $item->amount ) ) . '</bdi>';
		if ( null !== $item->verifiedAmount && $item->verifiedAmount !== $item->amount ) {
			/* translators: %s: amount in rial the gateway verified */
			$amount .= '<br>' . esc_html( sprintf( __( 'verified: %s', 'dargah-woocommerce' ), number_format_i18n( $item->verifiedAmount ) ) );
		}
		return $amount;
	}

	/** @param Dargah\Payment $item */
	protected function column_reason( $item ) {
		$reason = isset( $this->flagged[ $item->id ] ) ? $this->flagged[ $item->id ]->reason : ( $item->note ?? '' );
		return esc_html( Dargah_WC_Admin::note_text( $reason ) );
	}

	/** @param Dargah\Payment $item */
	protected function column_created( $item ) {
		return esc_html( Dargah_WC_Admin::date_text( $item->createdAt ) );
	}
}
