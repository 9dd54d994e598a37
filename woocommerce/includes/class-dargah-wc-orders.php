<?php
/**
 * Orders and their Dargah payments: which payment belongs to which order,
 * crediting exactly once, and the reconcile job. All order data goes
 * through WC_Order CRUD (HPOS or posts alike).
 *
 * @package Dargah_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

final class Dargah_WC_Orders {

	/** Order meta: the order's Dargah payment ids, one per attempt, newest last. */
	const META_PAYMENTS = '_dargah_payment_ids';
	/** Order meta: the payment ids this order was credited for. */
	const META_CREDITED = '_dargah_credited';
	/** Order meta: payment ids whose failure, cancellation or review was noted already. */
	const META_CLOSED = '_dargah_closed';
	/** Order meta: payment ids noted as not confirmed yet while still open. */
	const META_NOTED_OPEN = '_dargah_noted_open';
	/** Order meta: payment id => the order's currency when that payment was created. */
	const META_CURRENCIES = '_dargah_payment_currencies';
	/** Order meta: paid payment ids put on hold because they did not pay what the order now costs. */
	const META_AMOUNT_HELD = '_dargah_amount_held';

	/** Payment states in which the gateway may still report the payment paid. */
	const OPEN_STATES = array( 'created', 'awaiting', 'verifying', 'in_doubt' );

	/**
	 * A fresh invoice id per attempt, so a customer who tries again is not
	 * refused as a duplicate invoice; it starts with the order id.
	 */
	public static function new_invoice_id( WC_Order $order ): string {
		return $order->get_id() . '-' . bin2hex( random_bytes( 4 ) );
	}

	/**
	 * @param string $currency The order's currency the amount was converted from: the
	 *                         payment is checked against the order in it when it is paid.
	 */
	public static function record_payment( WC_Order $order, Dargah\Payment $payment, string $currency ): void {
		// Two attempts at once (two tabs, a double click) each add their payment: neither may drop the other's.
		$recorded = self::locked(
			$order->get_id(),
			function ( WC_Order $order ) use ( $payment, $currency ): bool {
				$ids   = self::meta_list( $order, self::META_PAYMENTS );
				$ids[] = $payment->id;
				$order->update_meta_data( self::META_PAYMENTS, $ids );
				$currencies                 = self::payment_currencies( $order );
				$currencies[ $payment->id ] = $currency;
				$order->update_meta_data( self::META_CURRENCIES, $currencies );
				$order->save();
				return true;
			}
		);
		if ( null === $recorded ) {
			throw new RuntimeException( "order {$order->get_id()} is locked by another request: payment {$payment->id} not recorded" );
		}
	}

	/**
	 * Run `$change` on a fresh copy of the order under a database lock named
	 * after the order (MariaDB/MySQL GET_LOCK, shared by every web server).
	 * Every change the plugin makes to an order reads its lists, then writes
	 * them: two requests at once (two tabs, a callback and the reconcile job,
	 * two payments of one order) must not both decide on what they read
	 * before the other wrote. Null when the lock was not granted in 30 s.
	 *
	 * @template T
	 * @param callable(WC_Order): T $change
	 * @return T|null
	 */
	private static function locked( int $order_id, callable $change ) {
		global $wpdb;
		$lock = 'dargah_order_' . $order_id;
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 30)', $lock ) ) ) {
			return null;
		}
		try {
			$order = self::fresh_order( $order_id );
			return $order instanceof WC_Order ? $change( $order ) : null;
		} finally {
			$wpdb->get_var( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}

	/**
	 * The order as the database holds it now. wc_get_order() answers from
	 * what this request read before (HPOS's order cache, WordPress's post and
	 * meta caches), which is stale once another request changed the order
	 * while this one waited for the lock.
	 *
	 * @return WC_Order|false
	 */
	private static function fresh_order( int $order_id ) {
		clean_post_cache( $order_id );
		$order_cache = 'Automattic\WooCommerce\Caches\OrderCache';
		if ( function_exists( 'wc_get_container' ) && class_exists( $order_cache ) ) {
			wc_get_container()->get( $order_cache )->remove( $order_id );
		}
		$order = wc_get_order( $order_id );
		if ( $order instanceof WC_Order && method_exists( $order, 'read_meta_data' ) ) {
			$order->read_meta_data( true ); // Past the meta cache too.
		}
		return $order;
	}

	/** @return array<string, string> payment id => currency */
	private static function payment_currencies( WC_Order $order ): array {
		$value = $order->get_meta( self::META_CURRENCIES, true );
		return is_array( $value ) ? array_map( 'strval', $value ) : array();
	}

	/** The currency a payment was made in; the order's own for payments made before it was recorded. */
	public static function payment_currency( WC_Order $order, string $payment_id ): string {
		return self::payment_currencies( $order )[ $payment_id ] ?? $order->get_currency();
	}

	/** @return list<string> */
	public static function payment_ids( WC_Order $order ): array {
		return self::meta_list( $order, self::META_PAYMENTS );
	}

	public static function latest_payment_id( WC_Order $order ): ?string {
		$ids = self::payment_ids( $order );
		return $ids ? end( $ids ) : null;
	}

	/** The order a payment was made for, or null (a payment this shop did not make). */
	public static function order_for_payment( string $payment_id, string $invoice_id ): ?WC_Order {
		$order_id = (int) strtok( $invoice_id, '-' );
		$order    = $order_id > 0 ? wc_get_order( $order_id ) : false;
		if ( ! $order instanceof WC_Order || ! in_array( $payment_id, self::payment_ids( $order ), true ) ) {
			return null;
		}
		return $order;
	}

	/**
	 * Credit the order for a paid payment, once, then acknowledge it so it
	 * leaves Dargah's outbox. Called for "newly paid" and for what the
	 * reconcile job finds unacknowledged; the order's lock (see locked()) and
	 * its lists of credited and held payments make a second call a no-op, and
	 * a second payment of an order already paid (by Dargah or otherwise) is
	 * never taken as the first.
	 *
	 * Under the lock the payment must have paid what the order costs now: the
	 * shop may have edited the order (or switched its currency) after the
	 * customer was sent to pay. Otherwise the order goes on hold for the owner,
	 * with both amounts in a note, and the payment is acknowledged all the same:
	 * it was received, and crediting it again would change nothing.
	 *
	 * @throws RuntimeException When WooCommerce could not complete the payment (another plugin's hook failed):
	 *                          the payment stays unacknowledged and the reconcile job credits it later.
	 */
	public static function credit( WC_Order $order, Dargah\Payment $payment, string $how ): void {
		$settled = self::locked(
			$order->get_id(),
			function ( WC_Order $order ) use ( $payment, $how ): bool {
				$credited = self::meta_list( $order, self::META_CREDITED );
				$held     = self::meta_list( $order, self::META_AMOUNT_HELD );
				if ( ! in_array( $payment->id, $credited, true ) && ! in_array( $payment->id, $held, true ) ) {
					// Paid before: by another of its payments, or another way (a gateway, by hand).
					$second_payment = $credited || null !== $order->get_date_paid();
					$mismatch       = $second_payment ? null : self::amount_mismatch( $order, $payment );
					if ( $second_payment ) {
						// Two attempts both paid (two tabs): keep the order, tell the shop.
						$credited[] = $payment->id;
						$order->update_meta_data( self::META_CREDITED, $credited );
						$order->add_order_note( self::paid_note( $order, $payment, $how ) );
						$second = sprintf(
							/* translators: 1: gateway reference of the second payment */
							__( 'This order was already paid: the payment with reference %1$s is a second payment and should be refunded to the customer.', 'dargah-woocommerce' ),
							$payment->reference ?? $payment->id
						);
						$order->add_order_note( $second );
						Dargah_WC_Review::flag( $order, $payment, $second ); // A refund to make: the owner's queue.
					} elseif ( null !== $mismatch ) {
						$held[] = $payment->id;
						$order->update_meta_data( self::META_AMOUNT_HELD, $held );
						$order->add_order_note( self::paid_note( $order, $payment, $how ) );
						if ( $order->has_status( 'on-hold' ) ) {
							$order->add_order_note( $mismatch ); // update_status() notes only a change of status.
						} else {
							$order->update_status( 'on-hold', $mismatch );
						}
						Dargah_WC_Review::flag( $order, $payment, $mismatch );
						Dargah_WC_Log::log( 'warning', $payment->gateway, "order {$order->get_id()}: payment {$payment->id} held: it paid {$payment->verifiedAmount} rial, the order is now {$order->get_total()} {$order->get_currency()}" );
					} else {
						$credited[] = $payment->id;
						$order->update_meta_data( self::META_CREDITED, $credited );
						if ( ! $order->payment_complete( $payment->reference ?? $payment->id ) && ! self::saved_as_paid( $order->get_id() ) ) {
							// WooCommerce caught an exception from another plugin's hook, noted it on the order and left the
							// order unpaid: record nothing (this copy is dropped), leave the payment unacknowledged, so the
							// reconcile job credits it once the hook stops failing.
							throw new RuntimeException( "WooCommerce's payment_complete() failed for order {$order->get_id()} (its note on the order says why)" );
						}
						$order->add_order_note( self::paid_note( $order, $payment, $how ) );
					}
					$order->save(); // payment_complete() saves only when it changes the status; the meta counts anyway.
					if ( ! in_array( $payment->id, $held, true ) ) {
						Dargah_WC_Log::log( 'info', $payment->gateway, "order {$order->get_id()}: credited for payment {$payment->id} ($how)" );
					}
				}
				return true;
			}
		);
		if ( null === $settled ) {
			// Another request holds the order right now (or the database is gone): it, or the next reconcile run, acknowledges.
			Dargah_WC_Log::log( 'warning', $payment->gateway, "order {$order->get_id()}: busy elsewhere; payment {$payment->id} is credited by the next run" );
			return;
		}
		self::acknowledge( $payment );
	}

	/**
	 * Did payment_complete() save the order as paid before it failed? It
	 * returns false for an exception from any of its hooks, also from those
	 * after its save (woocommerce_payment_complete): then the order is paid.
	 */
	private static function saved_as_paid( int $order_id ): bool {
		$order = self::fresh_order( $order_id );
		return $order instanceof WC_Order && null !== $order->get_date_paid();
	}

	/**
	 * Why this paid payment does not pay the order as it is now, or null when
	 * it does: the verified rial amount against the order's current total in
	 * rial. The note names both, the paid one in the currency the payment was
	 * made in and the due one in the order's currency now.
	 */
	private static function amount_mismatch( WC_Order $order, Dargah\Payment $payment ): ?string {
		$paid = $payment->verifiedAmount ?? $payment->amount;
		$due  = Dargah_WC_Currency::to_rial( $order->get_total(), $order->get_currency() );
		if ( $due === $paid ) {
			return null;
		}
		$paid_currency = self::payment_currency( $order, $payment->id );
		return sprintf(
			/* translators: 1: gateway name, 2: amount paid, 3: its currency, 4: amount paid in rial, 5: the order's total now, 6: its currency, 7: Dargah payment id */
			__( '%1$s payment received but not credited: it paid %2$s %3$s (%4$s rial), and the order now costs %5$s %6$s. Check the order, then refund the payment or ask for the difference (Dargah payment %7$s).', 'dargah-woocommerce' ),
			self::gateway_name( $payment->gateway ),
			self::format_amount( $paid, $paid_currency ),
			$paid_currency,
			number_format_i18n( $paid ),
			null === $due ? (string) $order->get_total() : self::format_amount( $due, $order->get_currency() ),
			$order->get_currency(),
			$payment->id
		);
	}

	/** Rial shown in a currency, with the site's digits and separators. */
	private static function format_amount( int $rial, string $currency ): string {
		$text = Dargah_WC_Currency::from_rial( $rial, $currency );
		$dot  = strpos( $text, '.' );
		return false === $dot
			? number_format_i18n( (int) $text )
			: number_format_i18n( (float) $text, strlen( $text ) - $dot - 1 );
	}

	/**
	 * Tell Dargah the payment is settled, so it leaves the outbox. A failure
	 * is only logged: the order is already settled (and the reconcile job,
	 * finding the payment again, settles nothing twice and acknowledges then).
	 */
	private static function acknowledge( Dargah\Payment $payment ): void {
		try {
			Dargah_WC_Config::client()->acknowledge( $payment->id );
		} catch ( Dargah\Exception $e ) {
			Dargah_WC_Log::log( 'error', $payment->gateway, "payment {$payment->id}: acknowledge failed, the reconcile job tries again: " . Dargah_WC_Log::describe( $e ) );
		}
	}

	/** The ids, card mask and amount are isolated: a Persian note must not reverse "603799******7890". */
	private static function paid_note( WC_Order $order, Dargah\Payment $payment, string $how ): string {
		$ltr  = array( 'Dargah_WC_Admin', 'isolate' );
		$dash = '—';
		return sprintf(
			/* translators: 1: gateway name, 2: gateway reference, 3: trace number, 4: masked card number, 5: amount in rial, 6: Dargah payment id, 7: how it was confirmed */
			__( '%1$s payment confirmed. Reference: %2$s; trace number: %3$s; card: %4$s; amount: %5$s rial (Dargah payment %6$s, %7$s).', 'dargah-woocommerce' ),
			self::gateway_name( $payment->gateway ),
			$ltr( $payment->reference ?? $dash ),
			$ltr( $payment->traceNumber ?? $dash ),
			$ltr( $payment->maskedCard ?? $dash ),
			$ltr( number_format_i18n( $payment->verifiedAmount ?? $payment->amount ) ),
			$ltr( $payment->id ),
			$how
		);
	}

	/**
	 * Note a payment that came back without money, once per payment and
	 * state; the order stays payable. A payment still open (a failed or
	 * cancelled callback the gateway did not contradict, or an answer it
	 * cannot read) is only not confirmed yet: the gateway may still confirm
	 * it before its deadline, so the note says so and nothing sounds final.
	 * A payment closed failed, cancelled or expired gets the final note.
	 *
	 * @param string $what The outcome (failed, cancelled, in_progress) or the state (expired).
	 */
	public static function note_unpaid( WC_Order $order, Dargah\Payment $payment, string $what ): void {
		self::locked(
			$order->get_id(),
			function ( WC_Order $order ) use ( $payment, $what ): void {
				if ( in_array( $payment->state->value, self::OPEN_STATES, true ) ) {
					if ( ! self::mark_listed( $order, self::META_NOTED_OPEN, $payment->id ) ) {
						return;
					}
					$order->add_order_note(
						sprintf(
							/* translators: 1: gateway name, 2: the callback's outcome (failed, cancelled, not known yet), 3: the gateway's answer so far, 4: Dargah payment id */
							__( '%1$s payment not confirmed yet (%2$s for now): %3$s (Dargah payment %4$s). It stays open until its deadline in case the gateway confirms it; the customer may try again meanwhile.', 'dargah-woocommerce' ),
							self::gateway_name( $payment->gateway ),
							Dargah_WC_Admin::state_label( $what ),
							Dargah_WC_Admin::note_text( $payment->note ?? '—' ),
							Dargah_WC_Admin::isolate( $payment->id )
						)
					);
					$order->save();
					return;
				}
				if ( ! self::mark_listed( $order, self::META_CLOSED, $payment->id ) ) {
					return;
				}
				$order->add_order_note(
					sprintf(
						/* translators: 1: gateway name, 2: payment state (failed, cancelled, expired), 3: the gateway's reason, 4: Dargah payment id */
						__( '%1$s payment not completed (%2$s): %3$s (Dargah payment %4$s). The customer may try again.', 'dargah-woocommerce' ),
						self::gateway_name( $payment->gateway ),
						Dargah_WC_Admin::state_label( $payment->state->value ),
						Dargah_WC_Admin::note_text( $payment->note ?? '—' ),
						Dargah_WC_Admin::isolate( $payment->id )
					)
				);
				$order->save();
			}
		);
	}

	/** needs_review: never paid as asked; on hold, with the reason, for a person to look at. */
	public static function hold_for_review( WC_Order $order, Dargah\Payment $payment ): void {
		self::locked(
			$order->get_id(),
			function ( WC_Order $order ) use ( $payment ): void {
				// On the owner's review queue (and e-mailed) even when another attempt paid the order.
				Dargah_WC_Review::flag( $order, $payment, $payment->note ?? '' );
				if ( ! self::mark_listed( $order, self::META_CLOSED, $payment->id ) || $order->is_paid() ) {
					$order->save();
					return;
				}
				$order->update_status(
					'on-hold',
					sprintf(
						/* translators: 1: gateway name, 2: the reason, 3: Dargah payment id */
						__( '%1$s payment needs review: %2$s (Dargah payment %3$s). Check it in the gateway\'s panel before fulfilling or refunding.', 'dargah-woocommerce' ),
						self::gateway_name( $payment->gateway ),
						Dargah_WC_Admin::note_text( $payment->note ?? '—' ),
						Dargah_WC_Admin::isolate( $payment->id )
					)
				);
			}
		);
	}

	/** Adds the id to the order's list `$key`; false if it was there already. */
	private static function mark_listed( WC_Order $order, string $key, string $payment_id ): bool {
		$listed = self::meta_list( $order, $key );
		if ( in_array( $payment_id, $listed, true ) ) {
			return false;
		}
		$listed[] = $payment_id;
		$order->update_meta_data( $key, $listed );
		return true;
	}

	/**
	 * The recurring job: resolve payments whose customer never came back
	 * (and in-doubt ones) with their gateways before the refund window
	 * closes, then credit every paid payment not acknowledged yet — also
	 * those of requests that died after "newly paid".
	 */
	public static function reconcile(): void {
		try {
			$client  = Dargah_WC_Config::client();
			$min_age = (int) apply_filters( 'dargah_wc_reconcile_min_age', 120 );
			$report  = $client->call( 'reconcile', array( 'min_age_secs' => max( 0, $min_age ) ) );
			Dargah_WC_Log::log( 'info', null, sprintf( 'reconcile: paid %d, failed %d, cancelled %d, expired %d, needs review %d, still waiting %d, in doubt %d', $report['paid'], $report['failed'], $report['cancelled'], $report['expired'], $report['needs_review'], $report['still_waiting'], $report['in_doubt'] ) );
			foreach ( $report['outcomes'] as $outcome ) {
				if ( 'paid' === $outcome['payment']['state'] ) {
					continue; // Credited below, from the outbox.
				}
				$payment = $client->payment( $outcome['payment']['id'] );
				$order   = self::order_for_payment( $payment->id, $payment->invoiceId );
				if ( ! $order ) {
					continue;
				}
				if ( 'needs_review' === $outcome['kind'] ) {
					self::hold_for_review( $order, $payment );
				} elseif ( ! in_array( $payment->state->value, self::OPEN_STATES, true ) ) {
					// Closed failed, cancelled or expired; one still open waits for the gateway or its deadline.
					self::note_unpaid( $order, $payment, $outcome['kind'] );
				}
			}
		} catch ( Dargah\Exception $e ) {
			Dargah_WC_Log::log( 'error', null, 'reconcile failed: ' . Dargah_WC_Log::describe( $e ) );
		}
		try {
			foreach ( Dargah_WC_Config::client()->unacknowledged( 100 ) as $payment ) {
				$order = self::order_for_payment( $payment->id, $payment->invoiceId );
				if ( ! $order ) {
					Dargah_WC_Log::log( 'warning', $payment->gateway, "paid payment {$payment->id} (invoice {$payment->invoiceId}) belongs to no order of this shop" );
					continue;
				}
				try {
					self::credit( $order, $payment, __( 'by the reconcile job', 'dargah-woocommerce' ) );
				} catch ( Throwable $e ) {
					// One order that cannot be credited (another plugin's payment_complete hook throwing, say)
					// must not stop the job before the newer paid payments behind it.
					Dargah_WC_Log::log( 'error', $payment->gateway, "order {$order->get_id()}: crediting payment {$payment->id} failed, tried again next run: " . Dargah_WC_Log::describe( $e ) );
				}
			}
		} catch ( Dargah\Exception $e ) {
			// The store is unreachable: the next run finds the same payments.
			Dargah_WC_Log::log( 'error', null, 'crediting paid payments failed: ' . Dargah_WC_Log::describe( $e ) );
		}
	}

	/**
	 * The review page's "check again": a reconcile pass (which asks the
	 * gateways about open payments old enough, this one included), then the
	 * order brought in line with what the payment is now.
	 *
	 * @throws Dargah\Exception When the payment cannot be read.
	 */
	public static function check_again( string $payment_id ): Dargah\Payment {
		self::reconcile();
		$payment = Dargah_WC_Config::client()->payment( $payment_id );
		$order   = self::order_for_payment( $payment->id, $payment->invoiceId );
		if ( $order ) {
			$how = __( 'checked again by the shop', 'dargah-woocommerce' );
			match ( $payment->state->value ) {
				'paid'         => self::credit( $order, $payment, $how ),
				'needs_review' => self::hold_for_review( $order, $payment ),
				'failed', 'cancelled', 'expired' => self::note_unpaid( $order, $payment, $payment->state->value ),
				default        => null, // Still open: the gateway has not said.
			};
		}
		return $payment;
	}

	/**
	 * WooCommerce cancels unpaid orders after the stock hold time; not while
	 * the order's payment may still be reported paid by its gateway.
	 *
	 * @param bool     $cancel
	 * @param WC_Order $order
	 */
	public static function veto_cancel_unpaid( $cancel, $order ) {
		if ( ! $cancel || ! $order instanceof WC_Order || ! str_starts_with( $order->get_payment_method(), 'dargah_' ) ) {
			return $cancel;
		}
		$id = self::latest_payment_id( $order );
		if ( null === $id ) {
			return $cancel;
		}
		try {
			$open = in_array( Dargah_WC_Config::client()->payment( $id )->state->value, self::OPEN_STATES, true );
		} catch ( Dargah\Exception $e ) {
			$open = true; // Cannot tell: keep the order.
		}
		if ( $open ) {
			Dargah_WC_Log::log( 'info', substr( $order->get_payment_method(), 7 ), "order {$order->get_id()}: not cancelled, payment $id is still open at the gateway" );
		}
		return ! $open;
	}

	public static function gateway_name( string $slug ): string {
		$names = array(
			'vandar' => __( 'Vandar', 'dargah-woocommerce' ),
			'mupra'  => __( 'Mupra', 'dargah-woocommerce' ),
			'canpay' => __( 'CanPay', 'dargah-woocommerce' ),
			'atipay' => __( 'AtiPay', 'dargah-woocommerce' ),
		);
		return $names[ $slug ] ?? $slug;
	}

	/** @return list<string> */
	private static function meta_list( WC_Order $order, string $key ): array {
		$value = $order->get_meta( $key, true );
		return is_array( $value ) ? array_values( array_map( 'strval', $value ) ) : array();
	}
}
