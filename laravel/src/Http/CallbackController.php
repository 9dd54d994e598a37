<?php

namespace Dargah\Laravel\Http;

use Dargah\Exception as DargahException;
use Dargah\InvalidCallbackException;
use Dargah\InvalidInputException;
use Dargah\OutcomeKind;
use Dargah\UnknownPaymentException;
use Dargah\Laravel\Payments;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * GET|POST /dargah/callback/{gateway}[/{account}]: where the gateway sends
 * the customer back. The query and body go to the extension exactly as they
 * came; it verifies with the gateway once, whatever arrives how often.
 */
final class CallbackController
{
    public function __invoke(Request $request, Payments $dargah, string $gateway, ?string $account = null): Response
    {
        try {
            $outcome = $dargah->handleCallback(
                $gateway,
                self::query($request),
                $request->isMethod('POST') ? self::body($request) : null,
                $account,
            );
        } catch (InvalidCallbackException | UnknownPaymentException | InvalidInputException $e) {
            // A forged, malformed or foreign callback: refused before any gateway call.
            logger()->info("dargah: {$gateway} callback refused: {$e->getKind()}: {$e->getMessage()}");
            return response()->view('dargah::invalid', [], 400);
        } catch (DargahException $e) {
            // The gateway (or the store) did not answer clearly: the payment stays open, dargah:reconcile settles it.
            report($e);
            return response()->view('dargah::confirming', [], 503, ['Retry-After' => '10']);
        }
        return OutcomeRedirects::to(match ($outcome->kind) {
            OutcomeKind::NewlyPaid, OutcomeKind::AlreadyPaid => 'paid',
            OutcomeKind::Failed, OutcomeKind::Cancelled => 'failed',
            OutcomeKind::NeedsReview => 'needs_review',
            OutcomeKind::InProgress => 'in_progress',
        }, $outcome->payment);
    }

    /** The query as it came (raw, so a contradictory repeated key is seen and refused), or as parsed where a server gives no QUERY_STRING. */
    private static function query(Request $request): array|string
    {
        $raw = (string) $request->server('QUERY_STRING', '');
        return $raw !== '' ? $raw : $request->query->all();
    }

    /** The form as it came (raw, so a repeated field is seen), or as parsed when there is no raw body (a test's request). */
    private static function body(Request $request): array|string
    {
        $raw = $request->getContent();
        return $raw !== '' ? $raw : $request->request->all();
    }
}
