<?php

namespace Dargah\Laravel\Events;

use Dargah\Payment;

/**
 * The payment ended unpaid: declined, cancelled by the customer, or expired.
 * Dispatched once per payment (remembered in the application's cache).
 * `$reason` is the state it closed in: "failed", "cancelled" or "expired" (its deadline passed unpaid).
 */
final class PaymentFailed extends PaymentEvent
{
    public function __construct(Payment $payment, public readonly string $reason)
    {
        parent::__construct($payment);
    }
}
