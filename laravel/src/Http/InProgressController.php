<?php

namespace Dargah\Laravel\Http;

use Dargah\UnknownPaymentException;
use Dargah\Laravel\Payments;
use Symfony\Component\HttpFoundation\Response;

/**
 * "We are confirming your payment": shown while another request verifies it
 * or the gateway's answer is in doubt. The page reloads itself and each load
 * checks the stored payment again; once settled, the customer goes on to the
 * shop's page for it.
 */
final class InProgressController
{
    /** Seconds between two checks of the page. */
    private const CHECK_EVERY_SECS = 3;

    public function __invoke(Payments $dargah, string $payment): Response
    {
        try {
            $stored = $dargah->payment($payment);
        } catch (UnknownPaymentException) {
            abort(404);
        }
        $outcome = OutcomeRedirects::forState($stored);
        if ($outcome === 'paid' && $stored->acknowledgedAt === null) {
            $dargah->deliver($stored); // a callback that died before delivering
        }
        if ($outcome !== 'in_progress') {
            return OutcomeRedirects::to($outcome, $stored);
        }
        return response()->view('dargah::in-progress', [
            'payment' => $stored,
            'checkEverySecs' => self::CHECK_EVERY_SECS,
        ], 200, ['Cache-Control' => 'no-store']);
    }
}
