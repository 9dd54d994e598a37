<?php
/**
 * CanPay (کن‌پی): a GET redirect; the customer comes back with a cross-site POST.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

class Dargah_WC_Gateway_CanPay extends Dargah_WC_Gateway {

	const SLUG = 'canpay';

	protected static function credential_fields(): array {
		return array(
			'merchant' => array(
				'title'       => __( 'Merchant code', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'Your CanPay merchant code. CanPay accepts calls only from the server addresses registered with it.', 'dargah-woocommerce' ),
				'default'     => '',
			),
		);
	}

	protected static function required_credentials(): array {
		return array( 'merchant' );
	}

	protected static function sandbox_second_account( string $url ): array {
		return array(
			'merchant' => 'sandbox-canpay-merchant-2',
			'base_url' => "$url/canpay/api/ipg/",
		);
	}

	protected static function sandbox_config( string $url ): array {
		return array(
			'merchant' => 'sandbox-canpay-merchant',
			'base_url' => "$url/canpay/api/ipg/",
		);
	}
}
