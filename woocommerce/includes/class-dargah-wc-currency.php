<?php
/**
 * WooCommerce currencies in rial, which is what every gateway takes.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Currency {

	/**
	 * Rial per unit: WooCommerce's IRR and IRT (toman), and the thousand-rial
	 * and thousand-toman currencies Persian WooCommerce plugins add.
	 */
	const RIAL_PER_UNIT = array(
		'IRR'  => 1,
		'IRT'  => 10,
		'IRHR' => 1000,
		'IRHT' => 10000,
	);

	public static function supported( string $currency ): bool {
		return isset( self::RIAL_PER_UNIT[ $currency ] );
	}

	/**
	 * The amount in rial, exactly, or null when the currency is not one of
	 * ours or the amount is not a whole number of rial (or not positive).
	 * Decimal arithmetic on the digits: no float ever rounds a price.
	 *
	 * @param string|int|float $amount As WooCommerce gives it (get_total()).
	 */
	public static function to_rial( $amount, string $currency ): ?int {
		if ( ! self::supported( $currency ) ) {
			return null;
		}
		if ( is_float( $amount ) ) {
			$amount = sprintf( '%.8F', $amount );
		}
		$amount = trim( (string) $amount );
		if ( ! preg_match( '/^(\d+)(?:\.(\d*))?$/', $amount, $m ) ) {
			return null;
		}
		$shift    = strlen( (string) self::RIAL_PER_UNIT[ $currency ] ) - 1; // 1, 10, 1000, 10000 → 0, 1, 3, 4 digits.
		$fraction = $m[2] ?? '';
		if ( '' !== trim( substr( $fraction, $shift ), '0' ) ) {
			return null; // A fraction of a rial.
		}
		$digits = ltrim( $m[1] . str_pad( substr( $fraction, 0, $shift ), $shift, '0' ), '0' );
		if ( '' === $digits || strlen( $digits ) > 18 ) {
			return null; // Zero, or beyond any price (and PHP's integers).
		}
		return (int) $digits;
	}

	/** Rial back into the currency, for messages: 125000 IRT → "12500". */
	public static function from_rial( int $rial, string $currency ): string {
		$per  = self::RIAL_PER_UNIT[ $currency ] ?? 1;
		$text = (string) intdiv( $rial, $per );
		if ( $rial % $per ) {
			$text .= '.' . rtrim( str_pad( (string) ( $rial % $per ), strlen( (string) $per ) - 1, '0', STR_PAD_LEFT ), '0' );
		}
		return $text;
	}
}
