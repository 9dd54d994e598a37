<?php
/**
 * Mupra (ماپرا): a GET redirect to its payment page.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

class Dargah_WC_Gateway_Mupra extends Dargah_WC_Gateway {

	const SLUG = 'mupra';

	protected static function credential_fields(): array {
		return array(
			'api_key' => array(
				'title'       => __( 'API key', 'dargah-woocommerce' ),
				'type'        => 'dargah_secret',
				'description' => __( 'Shown in your Mupra merchant panel.', 'dargah-woocommerce' ),
				'default'     => '',
			),
		);
	}

	protected static function required_credentials(): array {
		return array( 'api_key' );
	}

	protected static function sandbox_second_account( string $url ): array {
		return array(
			'api_key'  => 'sandbox-mupra-api-key-2',
			'base_url' => "$url/mupra/restapi/api/ipg/",
		);
	}

	protected static function sandbox_config( string $url ): array {
		return array(
			'api_key'  => 'sandbox-mupra-api-key',
			'base_url' => "$url/mupra/restapi/api/ipg/",
		);
	}
}
