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
		);
		$token_key = self::token_key();
		if ( null !== $token_key ) {
			// Encrypts Vandar's business-API tokens in the store; without it Dargah refuses that API.
			$config['token_encryption_key'] = $token_key;
		}
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

	/**
	 * The key that encrypts Vandar's business-API tokens in the database:
	 * DARGAH_WC_TOKEN_KEY (32+ characters) in wp-config.php, or else one
	 * derived from WordPress's SECURE_AUTH_KEY and SECURE_AUTH_SALT when
	 * wp-config.php defines them. Never from salts WordPress generated and
	 * keeps in its options table: that key would sit beside the tokens it
	 * encrypts. Null: no key, and Dargah refuses Vandar's business API.
	 */
	public static function token_key(): ?string {
		if ( defined( 'DARGAH_WC_TOKEN_KEY' ) ) {
			return (string) DARGAH_WC_TOKEN_KEY;
		}
		return self::token_key_from_salts(
			defined( 'SECURE_AUTH_KEY' ) ? (string) SECURE_AUTH_KEY : null,
			defined( 'SECURE_AUTH_SALT' ) ? (string) SECURE_AUTH_SALT : null
		);
	}

	/**
	 * The key from wp-config.php's salts (the same value wp_salt( 'secure_auth' )
	 * gives when both are defined there), or null when either is missing, short
	 * or WordPress's placeholder.
	 */
	public static function token_key_from_salts( ?string $secure_auth_key, ?string $secure_auth_salt ): ?string {
		foreach ( array( $secure_auth_key, $secure_auth_salt ) as $secret ) {
			if ( null === $secret || strlen( $secret ) < 32 || 'put your unique phrase here' === $secret ) {
				return null;
			}
		}
		return hash_hmac( 'sha256', 'dargah token_encryption_key', $secure_auth_key . $secure_auth_salt );
	}

	/** WordPress's own MariaDB/MySQL database, from the DB_* constants, with TLS when WordPress uses it. */
	public static function store_url(): string {
		$tls = self::wants_tls( defined( 'DB_SSL' ) && DB_SSL, defined( 'MYSQL_CLIENT_FLAGS' ) ? (int) MYSQL_CLIENT_FLAGS : 0 );
		$ca  = defined( 'MYSQL_SSL_CA' ) && MYSQL_SSL_CA ? (string) MYSQL_SSL_CA : null;
		return self::store_url_for( DB_HOST, DB_USER, DB_PASSWORD, DB_NAME, $tls, $ca );
	}

	/** WordPress connects with TLS: MYSQL_CLIENT_FLAGS has MYSQLI_CLIENT_SSL (what wpdb passes to mysqli), or the host's DB_SSL is true. */
	public static function wants_tls( bool $db_ssl, int $client_flags ): bool {
		return $db_ssl || 0 !== ( $client_flags & MYSQLI_CLIENT_SSL );
	}

	/**
	 * A mysql:// store URL, reading DB_HOST as mysqli does: "host",
	 * "host:port", "host:/socket", "[::1]:port"; "localhost" alone is the
	 * server's default socket. With $tls, a TCP connection requires TLS
	 * (ssl-mode=REQUIRED: the server's certificate verified, against $ca or
	 * the Mozilla roots); a local socket needs none.
	 */
	public static function store_url_for( string $db_host, string $user, string $password, string $name, bool $tls = false, ?string $ca = null ): string {
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
		if ( $socket ) {
			return $url . '?socket=' . rawurlencode( $socket );
		}
		if ( $tls ) {
			$url .= '?ssl-mode=REQUIRED' . ( null !== $ca ? '&ssl-ca=' . rawurlencode( $ca ) : '' );
		}
		return $url;
	}
}
