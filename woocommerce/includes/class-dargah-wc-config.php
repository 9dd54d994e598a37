<?php
/**
 * The one Dargah client: the gateways' settings and the shop's own database.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Config {

	private static ?Dargah\Client $client = null;

	/**
	 * One client for every Dargah gateway, so the reconcile job and the
	 * callbacks see every payment. Cheap per request: the extension keeps the
	 * underlying client (connections, store pool) for the life of the PHP
	 * worker, keyed by this configuration.
	 */
	public static function client(): Dargah\Client {
		return self::$client ??= new Dargah\Client( self::config() );
	}

	/** Forget the client (settings were saved). */
	public static function reset(): void {
		self::$client = null;
	}

	/** @return array<string, mixed> */
	public static function config(): array {
		global $wpdb;
		$config = array(
			'store'        => defined( 'DARGAH_WC_STORE' ) ? DARGAH_WC_STORE : self::store_url(),
			// Dargah's tables beside WordPress's: wp_dargah_payments, …
			'table_prefix' => $wpdb->prefix . 'dargah_',
			// Encrypts Vandar's business-API tokens in the store. DARGAH_WC_TOKEN_KEY in
			// wp-config.php (32+ characters) is best; otherwise one derived from the site's
			// salts, which is as secret as wp-config.php when the salts are defined there.
			'token_encryption_key' => defined( 'DARGAH_WC_TOKEN_KEY' ) ? DARGAH_WC_TOKEN_KEY : hash_hmac( 'sha256', 'dargah token_encryption_key', wp_salt( 'secure_auth' ) ),
		);
		foreach ( Dargah_WC_Plugin::GATEWAYS as $slug => $class ) {
			$settings = get_option( "woocommerce_dargah_{$slug}_settings", array() );
			$section  = $class::dargah_config( is_array( $settings ) ? $settings : array() );
			if ( null !== $section ) {
				$config[ $slug ] = $section;
			}
		}
		/**
		 * The Dargah configuration (core/README.md), e.g. to add http timeouts.
		 *
		 * @param array $config
		 */
		return apply_filters( 'dargah_wc_config', $config );
	}

	/** WordPress's own MariaDB/MySQL database, from the DB_* constants. */
	public static function store_url(): string {
		return self::store_url_for( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME );
	}

	/**
	 * A mysql:// store URL, reading DB_HOST as mysqli does: "host",
	 * "host:port", "host:/socket", "[::1]:port"; "localhost" alone is the
	 * server's default socket.
	 */
	public static function store_url_for( string $db_host, string $user, string $password, string $name ): string {
		global $wpdb;
		$parsed = $wpdb->parse_db_host( $db_host );
		[ $host, $port, $socket, $is_ipv6 ] = $parsed ? $parsed : array( $db_host, null, null, false );
		$host = $host ? $host : 'localhost';
		if ( ! $port && ! $socket && 'localhost' === $host ) {
			$default = ini_get( 'mysqli.default_socket' );
			$socket  = $default ? $default : ( file_exists( '/run/mysqld/mysqld.sock' ) ? '/run/mysqld/mysqld.sock' : null );
		}
		$url = sprintf(
			'mysql://%s:%s@%s:%d/%s',
			rawurlencode( $user ),
			rawurlencode( $password ),
			$is_ipv6 ? "[$host]" : $host,
			$port ? (int) $port : 3306,
			rawurlencode( $name )
		);
		return $socket ? $url . '?socket=' . rawurlencode( $socket ) : $url;
	}
}
