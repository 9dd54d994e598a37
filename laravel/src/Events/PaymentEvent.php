<?php

namespace Dargah\Laravel\Events;

use Dargah\Payment;

/** What every Dargah event carries: the payment as the store has it now. */
abstract class PaymentEvent
{
    public function __construct(public readonly Payment $payment)
    {
    }

    /**
     * Whether the gateway's verified amount (or, before a verify, the amount
     * the payment was created with) is the order's current total, both in
     * rial. A cart changed in another tab after checkout is caught here:
     * credit only when this is true, hold the order for a person otherwise.
     */
    public function amountMatches(int $orderTotalRial): bool
    {
        return ($this->payment->verifiedAmount ?? $this->payment->amount) === $orderTotalRial;
    }
}
