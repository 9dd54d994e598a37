<?php
/**
 * The Cart and Checkout blocks' side of a Dargah gateway. The block
 * checkout calls the gateway's own process_payment() (the Store API's
 * legacy payment path), so this class only describes the method to the
 * block script: its title, description and features.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Blocks\Payments\Integrations\AbstractPaymentMethodType;

final class Dargah_WC_Blocks_Support extends AbstractPaymentMethodType {

	const SCRIPT = 'dargah-wc-blocks';

	/** @param string $gateway_id dargah_vandar, … */
	public function __construct( string $gateway_id ) {
		$this->name = $gateway_id;
	}

	public function initialize() {
		$settings       = get_option( "woocommerce_{$this->name}_settings", array() );
		$this->settings = is_array( $settings ) ? $settings : array();
	}

	public function is_active() {
		$gateway = $this->gateway();
		return $gateway && $gateway->is_available();
	}

	/** One plain script for all four methods: no build step. */
	public function get_payment_method_script_handles() {
		if ( ! wp_script_is( self::SCRIPT, 'registered' ) ) {
			wp_register_script(
				self::SCRIPT,
				plugins_url( 'assets/js/blocks.js', DARGAH_WC_FILE ),
				array( 'wc-blocks-registry', 'wc-settings', 'wp-element', 'wp-html-entities' ),
				DARGAH_WC_VERSION,
				true
			);
		}
		return array( self::SCRIPT );
	}

	/** Read by the script through wc.wcSettings.getSetting( '<name>_data' ). */
	public function get_payment_method_data() {
		$gateway = $this->gateway();
		return array(
			'name'        => $this->name,
			'title'       => $gateway ? $gateway->get_title() : $this->get_setting( 'title' ),
			'description' => $gateway ? $gateway->get_description() : $this->get_setting( 'description' ),
			'supports'    => $gateway ? array_values( array_filter( $gateway->supports, array( $gateway, 'supports' ) ) ) : array( 'products' ),
		);
	}

	private function gateway(): ?WC_Payment_Gateway {
		$gateways = WC()->payment_gateways()->payment_gateways();
		return $gateways[ $this->name ] ?? null;
	}
}
