<?php

namespace Dargah\Laravel\Http;

use Dargah\Payment;
use Dargah\PaymentState;
use Illuminate\Http\RedirectResponse;

/** Where a payment's customer goes next, by its state: the routes config('dargah.redirects') names. */
final class OutcomeRedirects
{
    /** The redirect for one of "paid", "failed", "needs_review", "in_progress". */
    public static function to(string $outcome, Payment $payment): RedirectResponse
    {
        $route = config("dargah.redirects.$outcome") ?? ($outcome === 'in_progress' ? 'dargah.in-progress' : null);
        if ($route === null) {
            throw new \LogicException("config('dargah.redirects.$outcome') names no route");
        }
        // The shop's page finds its order by the payment id (kept at checkout) or the invoice id.
        $url = route($route, ['payment' => $payment->id, 'invoice' => $payment->invoiceId]);
        return new RedirectResponse($url, 303); // a reload of the next page never re-sends the callback
    }

    /** The outcome a stored payment's state stands for. */
    public static function forState(Payment $payment): string
    {
        return match ($payment->state) {
            PaymentState::Paid => 'paid',
            PaymentState::Failed, PaymentState::Cancelled, PaymentState::Expired => 'failed',
            PaymentState::NeedsReview => 'needs_review',
            default => 'in_progress', // created, awaiting, verifying, in doubt: the gateway has not settled it yet
        };
    }
}
