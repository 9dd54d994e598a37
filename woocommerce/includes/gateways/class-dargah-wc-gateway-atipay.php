<?php
/**
 * AtiPay MIPG (آتی‌پی): its payment page takes a POST, so the customer goes
 * through the order-pay page, whose form submits itself; the customer comes
 * back with a cross-site POST.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

class Dargah_WC_Gateway_AtiPay extends Dargah_WC_Gateway {

	const SLUG = 'atipay';

	protected static function credential_fields(): array {
		return array(
			'apiKey'     => array(
				'title'       => __( 'API key', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'Your AtiPay MIPG apiKey.', 'dargah-woocommerce' ),
				'default'     => '',
			),
			'terminalId' => array(
				'title'       => __( 'Terminal id', 'dargah-woocommerce' ),
				'type'        => 'text',
				'description' => __( 'Your AtiPay terminal id.', 'dargah-woocommerce' ),
				'default'     => '',
			),
		);
	}

	protected static function required_credentials(): array {
		return array( 'apiKey', 'terminalId' );
	}

	protected static function sandbox_second_account( string $url ): array {
		return array(
			'apiKey'     => 'sandbox-atipay-api-key-2',
			'terminalId' => '87654321',
			'base_url'   => "$url/atipay/v1/",
		);
	}

	protected static function sandbox_config( string $url ): array {
		return array(
			'apiKey'     => 'sandbox-atipay-api-key',
			'terminalId' => '12345678',
			'base_url'   => "$url/atipay/v1/",
		);
	}

	/** AtiPay's get-token requires cellNumber. */
	protected function needs_mobile(): bool {
		return true;
	}
}
