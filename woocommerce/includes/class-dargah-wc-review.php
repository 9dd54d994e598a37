<?php
/**
 * The owner's review queue: payments a person must look at (Dargah's
 * needs_review, and paid payments that did not pay what their order costs
 * now), the WooCommerce → Dargah payments page that lists them first, the
 * admin notice with their count, and the e-mail sent once per payment.
 *
 * The queue is a small table of its own beside Dargah's: a row per payment,
 * inserted once (its primary key makes the e-mail once-only across web
 * servers), marked reviewed by the owner.
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Review {

	/** The page's slug under WooCommerce's menu. */
	const PAGE = 'dargah-payments';
	/** Who sees the page, the notice and may act: WooCommerce's shop managers and administrators. */
	const CAPABILITY = 'manage_woocommerce';
	/** Fired once per payment when it enters the queue: payment id, order id, reason. */
	const ACTION = 'dargah_wc_payment_needs_review';
	/** The queue table's schema version, in an option. */
	const DB_VERSION        = '1';
	const DB_VERSION_OPTION = 'dargah_wc_reviews_db';

	public static function table(): string {
		global $wpdb;
		return $wpdb->prefix . 'dargah_wc_reviews';
	}

	/** The queue table, made on first use (WordPress's own database, like Dargah's tables). */
	private static function install(): void {
		global $wpdb;
		if ( self::DB_VERSION === get_option( self::DB_VERSION_OPTION ) ) {
			return;
		}
		$table = self::table();
		$wpdb->query(
			"CREATE TABLE IF NOT EXISTS $table (
				payment_id VARCHAR(64) NOT NULL PRIMARY KEY,
				order_id BIGINT UNSIGNED NOT NULL,
				gateway VARCHAR(20) NOT NULL,
				reason TEXT NOT NULL,
				flagged_at DATETIME NOT NULL,
				reviewed_at DATETIME NULL,
				KEY open_reviews (reviewed_at)
			) {$wpdb->get_charset_collate()}"
		);
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION ); // Autoloaded: read on every admin page.
	}

	/**
	 * Put a payment on the queue; the first time only (whichever web server
	 * gets there first), announce it: the e-mail listens to ACTION.
	 */
	public static function flag( WC_Order $order, Dargah\Payment $payment, string $reason ): bool {
		global $wpdb;
		self::install();
		$inserted = $wpdb->query(
			$wpdb->prepare(
				'INSERT IGNORE INTO ' . self::table() . ' (payment_id, order_id, gateway, reason, flagged_at) VALUES (%s, %d, %s, %s, %s)',
				$payment->id,
				$order->get_id(),
				$payment->gateway,
				'' !== $reason ? $reason : '—',
				current_time( 'mysql', true )
			)
		);
		if ( 1 !== $inserted ) {
			return false;
		}
		Dargah_WC_Log::log( 'warning', $payment->gateway, "order {$order->get_id()}: payment {$payment->id} needs review" );
		do_action( self::ACTION, $payment->id, $order->get_id(), $reason );
		return true;
	}

	/** The owner looked at it: off the queue and the notice. True if it was waiting. */
	public static function mark_reviewed( string $payment_id ): bool {
		global $wpdb;
		self::install();
		return 1 === $wpdb->query( $wpdb->prepare( 'UPDATE ' . self::table() . ' SET reviewed_at = %s WHERE payment_id = %s AND reviewed_at IS NULL', current_time( 'mysql', true ), $payment_id ) );
	}

	/** How many payments wait for review. */
	public static function open_count(): int {
		global $wpdb;
		self::install();
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . self::table() . ' WHERE reviewed_at IS NULL' );
	}

	/**
	 * Queue rows by payment id: those waiting, or every one ever flagged.
	 *
	 * @return array<string, object{payment_id: string, order_id: string, gateway: string, reason: string, flagged_at: string, reviewed_at: ?string}>
	 */
	public static function rows( bool $waiting_only ): array {
		global $wpdb;
		self::install();
		$rows = $wpdb->get_results( 'SELECT * FROM ' . self::table() . ( $waiting_only ? ' WHERE reviewed_at IS NULL' : '' ) . ' ORDER BY flagged_at DESC' );
		return array_column( $rows ? $rows : array(), null, 'payment_id' );
	}

	/* ------------------------------------------------------------------ e-mail */

	/** @param array<string, WC_Email> $emails */
	public static function register_email( $emails ) {
		require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-email-needs-review.php';
		$emails['Dargah_WC_Email_Needs_Review'] = new Dargah_WC_Email_Needs_Review();
		return $emails;
	}

	/** Through WooCommerce's mailer, so WooCommerce → Settings → Emails can turn it off or redirect it. */
	public static function send_email( string $payment_id, int $order_id, string $reason ): void {
		$emails = WC()->mailer()->get_emails();
		if ( isset( $emails['Dargah_WC_Email_Needs_Review'] ) ) {
			$emails['Dargah_WC_Email_Needs_Review']->trigger( $payment_id, $order_id, $reason );
		}
	}

	/* ------------------------------------------------------------------ admin */

	public static function page_url( array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => self::PAGE ), $args ), admin_url( 'admin.php' ) );
	}

	public static function add_menu(): void {
		$hook = add_submenu_page(
			'woocommerce',
			__( 'Dargah payments', 'dargah-woocommerce' ),
			__( 'Dargah payments', 'dargah-woocommerce' ),
			self::CAPABILITY,
			self::PAGE,
			array( __CLASS__, 'render_page' )
		);
		if ( $hook ) {
			add_action( "load-$hook", array( __CLASS__, 'handle_action' ) );
		}
	}

	/** While any payment waits: how many, on every admin page, for those who can act. */
	public static function notice(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$count = self::open_count();
		if ( 0 === $count ) {
			return;
		}
		printf(
			'<div class="notice notice-warning" id="dargah-review-notice"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
			esc_html__( 'Dargah:', 'dargah-woocommerce' ),
			esc_html(
				sprintf(
					/* translators: %s: number of payments */
					_n( '%s payment needs review.', '%s payments need review.', $count, 'dargah-woocommerce' ),
					number_format_i18n( $count )
				)
			),
			esc_url( self::page_url( array( 'dargah_state' => 'review' ) ) ),
			esc_html__( 'Review them', 'dargah-woocommerce' )
		);
	}

	/**
	 * "Check again" and "mark as reviewed", before the page is drawn: each
	 * needs the capability and its own nonce, then a redirect (a reload never
	 * repeats it) with what happened in the address.
	 */
	public static function handle_action(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- checked below, per action.
		$action     = isset( $_GET['dargah_action'] ) ? sanitize_key( wp_unslash( $_GET['dargah_action'] ) ) : '';
		$payment_id = isset( $_GET['payment'] ) && is_string( $_GET['payment'] ) ? sanitize_text_field( wp_unslash( $_GET['payment'] ) ) : '';
		// phpcs:enable
		if ( '' === $action ) {
			return;
		}
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Dargah payments.', 'dargah-woocommerce' ), 403 );
		}
		check_admin_referer( "dargah_{$action}_{$payment_id}" );
		$done = array( 'payment' => $payment_id );
		if ( 'check' === $action ) {
			try {
				$done['dargah_done']  = 'checked';
				$done['dargah_now']  = Dargah_WC_Orders::check_again( $payment_id )->state->value;
			} catch ( Dargah\Exception $e ) {
				Dargah_WC_Log::log( 'error', null, "payment $payment_id: check again failed: " . Dargah_WC_Log::describe( $e ) );
				$done['dargah_done'] = 'check_failed';
			}
		} elseif ( 'reviewed' === $action ) {
			$done['dargah_done'] = self::mark_reviewed( $payment_id ) ? 'reviewed' : 'not_waiting';
		} else {
			wp_die( esc_html__( 'Unknown action.', 'dargah-woocommerce' ), 400 );
		}
		wp_safe_redirect( self::page_url( $done ), 303 );
		exit;
	}

	/** A link to an action on one payment, with its nonce (a raw URL: escape it to print it). */
	public static function action_url( string $action, string $payment_id ): string {
		return self::page_url(
			array(
				'dargah_action' => $action,
				'payment'       => $payment_id,
				'_wpnonce'      => wp_create_nonce( "dargah_{$action}_{$payment_id}" ),
			)
		);
	}

	public static function render_page(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Dargah payments.', 'dargah-woocommerce' ), 403 );
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- display only.
		$view       = isset( $_GET['view'] ) ? sanitize_key( wp_unslash( $_GET['view'] ) ) : '';
		$payment_id = isset( $_GET['payment'] ) && is_string( $_GET['payment'] ) ? sanitize_text_field( wp_unslash( $_GET['payment'] ) ) : '';
		$done       = isset( $_GET['dargah_done'] ) ? sanitize_key( wp_unslash( $_GET['dargah_done'] ) ) : '';
		$state      = isset( $_GET['dargah_now'] ) ? sanitize_key( wp_unslash( $_GET['dargah_now'] ) ) : '';
		// phpcs:enable
		echo '<div class="wrap" id="dargah-payments-page"><h1>' . esc_html__( 'Dargah payments', 'dargah-woocommerce' ) . '</h1>';
		self::render_result( $done, $payment_id, $state );
		if ( 'history' === $view && '' !== $payment_id ) {
			self::render_history( $payment_id );
		} else {
			require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
			require_once DARGAH_WC_DIR . '/includes/class-dargah-wc-review-table.php';
			$table = new Dargah_WC_Review_Table();
			$table->prepare_items();
			echo '<form method="get" id="dargah-payments-filter"><input type="hidden" name="page" value="' . esc_attr( self::PAGE ) . '">';
			$table->display();
			echo '</form>';
		}
		echo '</div>';
	}

	private static function render_result( string $done, string $payment_id, string $state ): void {
		$messages = array(
			/* translators: 1: Dargah payment id, 2: its state */
			'checked'      => array( 'success', sprintf( __( 'Payment %1$s checked again; its state now: %2$s.', 'dargah-woocommerce' ), $payment_id, Dargah_WC_Admin::state_label( $state ) ) ),
			/* translators: %s: Dargah payment id */
			'check_failed' => array( 'error', sprintf( __( 'Payment %s could not be checked again; see the "dargah" log.', 'dargah-woocommerce' ), $payment_id ) ),
			/* translators: %s: Dargah payment id */
			'reviewed'     => array( 'success', sprintf( __( 'Payment %s is marked as reviewed.', 'dargah-woocommerce' ), $payment_id ) ),
			/* translators: %s: Dargah payment id */
			'not_waiting'  => array( 'info', sprintf( __( 'Payment %s was not waiting for review.', 'dargah-woocommerce' ), $payment_id ) ),
		);
		if ( isset( $messages[ $done ] ) ) {
			printf( '<div class="notice notice-%1$s" id="dargah-result"><p>%2$s</p></div>', esc_attr( $messages[ $done ][0] ), esc_html( $messages[ $done ][1] ) );
		}
	}

	/** A payment's events, oldest first: states it went through and the gateway's answers (redacted by Dargah). */
	private static function render_history( string $payment_id ): void {
		try {
			$events = Dargah_WC_Config::client()->events( $payment_id );
		} catch ( Dargah\Exception $e ) {
			/* translators: 1: Dargah payment id, 2: error */
			echo '<p>' . esc_html( sprintf( __( 'Payment %1$s: cannot be read (%2$s).', 'dargah-woocommerce' ), $payment_id, $e->getMessage() ) ) . '</p>';
			return;
		}
		/* translators: %s: Dargah payment id */
		echo '<h2>' . esc_html( sprintf( __( 'History of payment %s', 'dargah-woocommerce' ), $payment_id ) ) . '</h2>';
		echo '<table class="widefat striped" id="dargah-history"><thead><tr><th>' . esc_html__( 'When', 'dargah-woocommerce' ) . '</th><th>' . esc_html__( 'What', 'dargah-woocommerce' ) . '</th><th>' . esc_html__( 'Gateway answers', 'dargah-woocommerce' ) . '</th></tr></thead><tbody>';
		foreach ( $events as $event ) {
			$raw = null === $event['raw'] || array() === $event['raw'] ? '' : wp_json_encode( $event['raw'], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
			printf(
				'<tr data-label="%1$s"><td>%2$s</td><td>%3$s</td><td><pre dir="ltr" style="white-space:pre-wrap;margin:0">%4$s</pre></td></tr>',
				esc_attr( $event['label'] ),
				esc_html( Dargah_WC_Admin::date_text( ( new DateTimeImmutable() )->setTimestamp( intdiv( (int) $event['at'], 1000 ) ) ) ),
				esc_html( Dargah_WC_Admin::state_label( (string) $event['label'] ) ),
				esc_html( (string) $raw )
			);
		}
		echo '</tbody></table><p><a href="' . esc_url( self::page_url() ) . '">' . esc_html__( 'Back to the payments', 'dargah-woocommerce' ) . '</a></p>';
	}
}
