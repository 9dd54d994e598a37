<?php
/**
 * Vandar (وندار) IPG v4: a GET redirect; refunds from the order screen
 * through Vandar's business API.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

class Dargah_WC_Gateway_Vandar extends Dargah_WC_Gateway {

	const SLUG = 'vandar';

	public function __construct() {
		parent::__construct();
		$this->supports[] = 'refunds';
	}

	protected function describe(): string {
		return __( 'Payments through Vandar, verified once by Dargah. Whole-order refunds are made from the order screen through Vandar\'s business API (fill in its credentials below); refund part of an order in Vandar\'s panel.', 'dargah-woocommerce' );
	}

	protected static function credential_fields(): array {
		return array(
			'api_key'       => array(
				'title'       => __( 'IPG API key', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'The api_key of your Vandar payment gateway.', 'dargah-woocommerce' ),
				'default'     => '',
			),
			'business'      => array(
				'title'       => __( 'Business name', 'dargah-woocommerce' ),
				'type'        => 'text',
				'description' => __( 'Your business\'s English name in Vandar (for refunds).', 'dargah-woocommerce' ),
				'default'     => '',
			),
			'access_token'  => array(
				'title'       => __( 'Business API access token', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'From the Vandar dashboard (for refunds). Dargah refreshes it and keeps the new pair in its tables.', 'dargah-woocommerce' ),
				'default'     => '',
			),
			'refresh_token' => array(
				'title'       => __( 'Business API refresh token', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'From the Vandar dashboard (for refunds).', 'dargah-woocommerce' ),
				'default'     => '',
			),
		);
	}

	protected static function required_credentials(): array {
		return array( 'api_key' );
	}

	protected static function sandbox_second_account( string $url ): array {
		return array(
			'api_key'               => 'sandbox-vandar-ipg-api-key-2',
			'business'              => 'sandbox-shop-2',
			'access_token'          => 'sandbox-vandar-access-token-2',
			'refresh_token'         => 'sandbox-vandar-refresh-token-2',
			'ipg_base_url'          => "$url/vandar/ipg",
			'api_base_url'          => "$url/vandar/api",
			'batch_base_url'        => "$url/vandar/batch",
			'subscription_base_url' => "$url/vandar/subscription",
		);
	}

	protected static function sandbox_config( string $url ): array {
		return array(
			'api_key'               => 'sandbox-vandar-ipg-api-key',
			'business'              => 'sandbox-shop',
			'access_token'          => 'sandbox-vandar-access-token',
			'refresh_token'         => 'sandbox-vandar-refresh-token',
			'ipg_base_url'          => "$url/vandar/ipg",
			'api_base_url'          => "$url/vandar/api",
			'batch_base_url'        => "$url/vandar/batch",
			'subscription_base_url' => "$url/vandar/subscription",
		);
	}

	/**
	 * Refund the whole payment through Vandar's IPG refund, keyed on
	 * WooCommerce's refund id: a retry of the same refund never pays twice.
	 *
	 * @param int        $order_id
	 * @param float|null $amount
	 * @param string     $reason
	 * @return bool|WP_Error
	 */
	public function process_refund( $order_id, $amount = null, $reason = '' ) {
		$order = wc_get_order( $order_id );
		if ( ! $order ) {
			return new WP_Error( 'dargah_refund', __( 'No such order.', 'dargah-woocommerce' ) );
		}
		$credited = $order->get_meta( Dargah_WC_Orders::META_CREDITED, true );
		$id       = is_array( $credited ) && $credited ? end( $credited ) : null;
		try {
			$payment = $id ? Dargah_WC_Config::client()->payment( $id ) : null;
		} catch ( Dargah\Exception $e ) {
			return new WP_Error( 'dargah_refund', Dargah_WC_Log::describe( $e ) );
		}
		if ( ! $payment || ! $payment->isPaid() || ! $payment->reference ) {
			return new WP_Error( 'dargah_refund', __( 'This order has no paid Vandar payment to refund.', 'dargah-woocommerce' ) );
		}
		// The refund goes through the payment's own merchant account: its business API credentials are needed.
		$config  = static::dargah_config( $this->settings ) ?? array();
		$account = 'default' === $payment->account ? $config : ( $config['accounts'][ $payment->account ] ?? array() );
		if ( ! isset( $account['business'], $account['access_token'] ) ) {
			return new WP_Error( 'dargah_refund', __( 'Refunds need Vandar\'s business API credentials (business name and tokens) in the gateway settings, for the payment\'s merchant account.', 'dargah-woocommerce' ) );
		}
		$rial = Dargah_WC_Currency::to_rial( null === $amount ? $order->get_total() : $amount, $order->get_currency() );
		if ( $rial !== $payment->amount ) {
			return new WP_Error(
				'dargah_refund',
				sprintf(
					/* translators: 1: the whole amount in the order's currency, 2: currency code */
					__( 'Vandar refunds the whole payment only: refund %1$s %2$s, or refund a part in Vandar\'s panel and record it with "Refund manually".', 'dargah-woocommerce' ),
					Dargah_WC_Currency::from_rial( $payment->amount, $order->get_currency() ),
					$order->get_currency()
				)
			);
		}
		$refund_id = Dargah_WC_Plugin::current_refund_id( $order );
		$key       = 'woocommerce-refund-' . ( $refund_id ? $refund_id : $order->get_id() . '-' . $payment->id );
		try {
			$answer = Dargah_WC_Config::client()->call(
				'vandar.refund',
				array(
					'idempotency_key' => $key,
					'payment_id'      => $payment->id,
				)
			);
		} catch ( Dargah\Exception $e ) {
			$this->log( 'error', "order {$order->get_id()}: refund of payment {$payment->id} failed: " . Dargah_WC_Log::describe( $e ) );
			$message = $e->isInDoubt()
				? __( 'Vandar did not answer: the refund may or may not have been made. Check Vandar\'s panel before trying again.', 'dargah-woocommerce' )
				/* translators: %s: Vandar's error message */
				: sprintf( __( 'Vandar refused the refund: %s', 'dargah-woocommerce' ), $e->getGatewayMessage() ?? $e->getMessage() );
			return new WP_Error( 'dargah_refund', $message );
		}
		$vandar_refund = is_array( $answer ) ? ( $answer['data']['refund_id'] ?? $answer['refund_id'] ?? '—' ) : '—';
		$order->add_order_note(
			sprintf(
				/* translators: 1: amount in rial, 2: Vandar transaction id, 3: Vandar refund id, 4: reason */
				__( 'Refunded %1$s rial through Vandar (transaction %2$s, Vandar refund %3$s). Reason: %4$s', 'dargah-woocommerce' ),
				Dargah_WC_Admin::isolate( number_format_i18n( $rial ) ),
				Dargah_WC_Admin::isolate( $payment->reference ),
				Dargah_WC_Admin::isolate( (string) $vandar_refund ),
				'' !== $reason ? $reason : '—'
			)
		);
		$this->log( 'info', "order {$order->get_id()}: refunded payment {$payment->id} ($rial rial), key $key" );
		return true;
	}
}
