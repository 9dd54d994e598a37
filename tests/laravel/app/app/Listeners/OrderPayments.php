<?php

namespace App\Listeners;

use App\Models\Order;
use Dargah\Laravel\Events\PaymentFailed;
use Dargah\Laravel\Events\PaymentNeedsReview;
use Dargah\Laravel\Events\PaymentPaid;
use Illuminate\Support\Facades\Log;

/** What a payment's end means for its order. Runs in the delivering process (not queued). */
class OrderPayments
{
    /** Credit the order. The payment leaves Dargah's outbox only after this returned. */
    public function paid(PaymentPaid $event): void
    {
        $order = Order::where('payment_id', $event->payment->id)->first();
        if ($order === null) {
            Log::warning("paid payment {$event->payment->id} belongs to no order");
            return;
        }
        if (!$event->amountMatches($order->total_rial)) {
            // Paid, but not this order's current total: a person decides.
            $order->update(['status' => 'review']);
            return;
        }
        // Idempotent: after a failure further down, this payment comes again.
        Order::whereKey($order->id)->where('status', 'pending')->update(['status' => 'paid', 'paid_at' => now()]);
    }

    public function failed(PaymentFailed $event): void
    {
        Order::where('payment_id', $event->payment->id)->where('status', 'pending')->update(['status' => 'failed']);
    }

    public function needsReview(PaymentNeedsReview $event): void
    {
        Order::where('payment_id', $event->payment->id)->update(['status' => 'review']);
    }
}
