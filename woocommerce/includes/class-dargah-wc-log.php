<?php
/**
 * Events to WooCommerce's logger (source "dargah"): errors always (an owner
 * must be able to find why a paid order waits), the rest when a gateway's
 * debug logging is on. Messages carry ids, states and amounts, never
 * credentials: callers pass no settings and no raw gateway answers.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Log {

	const SOURCE = 'dargah';

	/** The levels written whatever the debug setting says (PSR-3 / WC_Log_Levels names). */
	const ALWAYS = array( 'emergency', 'alert', 'critical', 'error' );

	/**
	 * @param string|null $slug The gateway (vandar, …) whose debug setting decides; null: any gateway's.
	 */
	public static function log( string $level, ?string $slug, string $message ): void {
		$wanted = in_array( $level, self::ALWAYS, true ) || self::enabled( $slug );
		if ( ! $wanted || ! function_exists( 'wc_get_logger' ) ) {
			return;
		}
		wc_get_logger()->log( $level, $message, array( 'source' => self::SOURCE ) );
	}

	public static function enabled( ?string $slug ): bool {
		$slugs = null === $slug ? array_keys( Dargah_WC_Plugin::GATEWAYS ) : array( $slug );
		foreach ( $slugs as $s ) {
			$settings = get_option( "woocommerce_dargah_{$s}_settings", array() );
			if ( is_array( $settings ) && 'yes' === ( $settings['debug'] ?? 'no' ) ) {
				return true;
			}
		}
		return false;
	}

	/** An exception as one line: its class, kind and message (the extension never puts secrets there). */
	public static function describe( Throwable $e ): string {
		$kind = $e instanceof Dargah\Exception ? $e->getKind() : get_class( $e );
		return sprintf( '%s: %s', $kind, $e->getMessage() );
	}
}
