<?php

namespace Dargah\Laravel;

use Dargah\Client;
use Dargah\Outcome;
use Dargah\OutcomeKind;
use Dargah\Payment;
use Dargah\Laravel\Events\PaymentFailed;
use Dargah\Laravel\Events\PaymentNeedsReview;
use Dargah\Laravel\Events\PaymentPaid;
use Dargah\Laravel\Jobs\DeliverPaidPayment;
use Illuminate\Contracts\Cache\LockProvider;
use Illuminate\Contracts\Container\Container;
use Symfony\Component\HttpFoundation\Response;

/**
 * What the `Dargah` facade stands for: the extension's client plus the
 * Laravel glue around it (callback URLs, the redirect response, events from
 * the outbox). Any other method is the client's own (`Dargah::payment($id)`,
 * `Dargah::events($id)`, `Dargah::call(...)`).
 *
 * It keeps no request state, and asks the current container for the event
 * dispatcher, cache and URL generator on every use (Octane gives each
 * request a container of its own): one instance serves a long-lived worker
 * (queue, Octane) for its whole life.
 *
 * @mixin Client
 */
class Payments
{
    /** How long one delivery (or one dispatch of a once-only event) may hold its lock: its listeners' time. */
    private const DELIVERY_LOCK_SECS = 120;

    /** How long a failed / needs-review event is remembered as sent. */
    private const ONCE_MEMORY_SECS = 90 * 24 * 3600;

    public function client(): Client
    {
        return self::app()->make(Client::class);
    }

    /** The callback URL of a gateway (and account): the package's route. */
    public function callbackUrl(string $gateway, ?string $account = null): string
    {
        $parameters = ['gateway' => $gateway];
        if ($account !== null) {
            $parameters['account'] = $account;
        }
        return self::app()->make('url')->route('dargah.callback', $parameters);
    }

    /**
     * Create a payment whose callback is the package's route. Amounts are
     * rial. The order keeps `$payment->id` to be found again in the events.
     */
    public function create(
        string $gateway,
        string $invoiceId,
        int $amountRial,
        ?string $mobile = null,
        ?string $description = null,
        ?array $vandar = null,
        ?string $account = null,
    ): Payment {
        return $this->client()->createPayment(
            $gateway,
            $invoiceId,
            $amountRial,
            $this->callbackUrl($gateway, $account),
            mobile: $mobile,
            description: $description,
            vandar: $vandar,
            account: $account,
        );
    }

    /**
     * The response that sends the customer to the gateway: a 303 redirect,
     * or (AtiPay) a page whose form posts itself (the <x-dargah-redirect-form> component).
     */
    public function redirect(Payment $payment): Response
    {
        $redirect = $payment->redirect ?? $this->client()->payment($payment->id)->redirect;
        if ($redirect === null) {
            throw new \LogicException("payment {$payment->id} has no redirect left: it is {$payment->state->value}");
        }
        if (!$redirect->isPost()) {
            return new \Illuminate\Http\RedirectResponse($redirect->url, 303);
        }
        $html = self::app()->make('view')->make('dargah::redirect', ['redirect' => $redirect])->render();
        return new \Illuminate\Http\Response($html, 200, ['Cache-Control' => 'no-store']);
    }

    /**
     * Handle a gateway's callback and dispatch its event: PaymentPaid through
     * the outbox, PaymentFailed / PaymentNeedsReview once. Dargah's own
     * exceptions pass through (the controller maps them).
     */
    public function handleCallback(string $gateway, array|string|null $query, array|string|null $body, ?string $account = null): Outcome
    {
        $outcome = $this->client()->handleCallback($gateway, $query, $body, $account);
        $this->dispatchFor($outcome->kind, $outcome->payment);
        return $outcome;
    }

    /**
     * Dispatch PaymentPaid for a paid payment not acknowledged yet, then
     * acknowledge it: here, or on the queue when config dargah.queue.connection
     * names one (a DeliverPaidPayment job). True when it was delivered or queued.
     */
    public function deliver(Payment $payment): bool
    {
        $connection = self::app()->make('config')->get('dargah.queue.connection');
        if (!$connection) {
            return $this->deliverNow($payment);
        }
        // PendingDispatch (not the bus directly): it is what keeps a ShouldBeUnique job unique on every Laravel version.
        $pending = DeliverPaidPayment::dispatch($payment->id)->onConnection($connection);
        $queue = self::app()->make('config')->get('dargah.queue.name');
        if ($queue) {
            $pending->onQueue($queue);
        }
        unset($pending); // dispatched now
        return true;
    }

    /**
     * Deliver in this process: PaymentPaid to every listener, then the
     * acknowledgement. A listener's exception is reported (or, with
     * `$rethrow`, thrown: a queued job fails) and the payment stays in the
     * outbox. True when this call delivered it.
     */
    public function deliverNow(Payment $payment, bool $rethrow = false): bool
    {
        $lock = $this->lockFor($payment->id);
        if ($lock !== null && !$lock->get()) {
            return false; // another process is delivering it right now, and acknowledges it
        }
        try {
            $current = $this->client()->payment($payment->id); // acknowledged meanwhile?
            if (!$current->isPaid() || $current->acknowledgedAt !== null) {
                return false;
            }
            try {
                self::app()->make('events')->dispatch(new PaymentPaid($current));
            } catch (\Throwable $listenerFailure) {
                if ($rethrow) {
                    throw $listenerFailure;
                }
                report($listenerFailure);
                return false;
            }
            return $this->client()->acknowledge($current->id);
        } finally {
            $lock?->release();
        }
    }

    /**
     * Deliver the outbox: every paid payment not acknowledged, paid at least
     * `$minAgeSecs` ago (a younger one is usually still being delivered by
     * its own callback). Returns [delivered, left] counts (delivered: queued,
     * with a queue).
     *
     * @return array{delivered: int, left: int}
     */
    public function deliverOutbox(int $minAgeSecs = 0, int $limit = 100): array
    {
        $delivered = $left = 0;
        $cutoff = time() - $minAgeSecs;
        foreach ($this->client()->unacknowledged($limit) as $payment) {
            if ($payment->paidAt !== null && $payment->paidAt->getTimestamp() > $cutoff) {
                $left++;
                continue;
            }
            $this->deliver($payment) ? $delivered++ : $left++;
        }
        return ['delivered' => $delivered, 'left' => $left];
    }

    /**
     * Settle the payments whose customer never came back (older than
     * `$minAgeSecs`), dispatch the events of the newest closed payments not
     * dispatched yet, then deliver the outbox. Returns the core's reconcile
     * report with the outbox counts.
     */
    public function reconcile(int $minAgeSecs): array
    {
        $report = $this->client()->call('reconcile', ['min_age_secs' => max(0, $minAgeSecs)]);
        $this->dispatchClosed();
        $report['outbox'] = $this->deliverOutbox();
        return $report;
    }

    /** Recover what is in doubt (lost verify answers, crashed workers), then dispatch and deliver as reconcile does. */
    public function recover(int $limit = 100): array
    {
        $result = $this->client()->recover($limit);
        $this->dispatchClosed();
        $result['outbox'] = $this->deliverOutbox();
        return $result;
    }

    /**
     * PaymentFailed / PaymentNeedsReview for the newest payments closed
     * unpaid or held for review, each once. A "failed" callback is only a
     * hint: the payment closes when its gateway confirms it, or at its
     * deadline (as `expired`), often here rather than in the callback.
     */
    private function dispatchClosed(int $limit = 100): void
    {
        foreach (['failed', 'cancelled', 'expired', 'needs_review'] as $state) {
            foreach ($this->client()->payments($state, $limit) as $payment) {
                $this->dispatchFor($state === 'needs_review' ? OutcomeKind::NeedsReview : OutcomeKind::Failed, $payment);
            }
        }
    }

    private function dispatchFor(OutcomeKind $kind, Payment $payment): void
    {
        switch ($kind) {
            case OutcomeKind::NewlyPaid:
            case OutcomeKind::AlreadyPaid: // a first request that died before acknowledging
                if ($payment->acknowledgedAt === null) {
                    $this->deliver($payment);
                }
                return;
            case OutcomeKind::Failed:
            case OutcomeKind::Cancelled:
                if (in_array($payment->state->value, ['failed', 'cancelled', 'expired'], true)) { // closed for good
                    $this->dispatchOnce($payment, new PaymentFailed($payment, $payment->state->value));
                }
                return;
            case OutcomeKind::NeedsReview:
                $this->dispatchOnce($payment, new PaymentNeedsReview($payment));
                return;
            case OutcomeKind::InProgress:
                return;
        }
    }

    /**
     * An event the store keeps no outbox for: dispatched until its listeners
     * return, then never again (the cache remembers). "Sent" is written only
     * after every listener returned: a listener that throws, or a process that
     * dies in one, leaves it unsent and the next reconcile dispatches it again.
     * A cache lock keeps two processes from dispatching it at once; the lock of
     * a process that died lapses after DELIVERY_LOCK_SECS.
     */
    private function dispatchOnce(Payment $payment, object $event): void
    {
        $key = 'dargah:dispatched:' . $event::class . ':' . $payment->id;
        $cache = self::app()->make('cache')->store();
        if ($cache->has($key)) {
            return; // dispatched before
        }
        $lock = $this->lock('dargah:dispatching:' . $event::class . ':' . $payment->id);
        if ($lock !== null && !$lock->get()) {
            return; // being dispatched right now by another process
        }
        try {
            if ($cache->has($key)) {
                return; // dispatched by another process while this one looked
            }
            try {
                self::app()->make('events')->dispatch($event);
            } catch (\Throwable $listenerFailure) {
                report($listenerFailure); // not recorded as sent: the next reconcile dispatches it again
                return;
            }
            $cache->put($key, true, self::ONCE_MEMORY_SECS);
        } finally {
            $lock?->release();
        }
    }

    private function lockFor(string $paymentId): ?\Illuminate\Contracts\Cache\Lock
    {
        return $this->lock('dargah:deliver:' . $paymentId);
    }

    /** A lock of the application's cache, held at most DELIVERY_LOCK_SECS; null when its store has no locks. */
    private function lock(string $name): ?\Illuminate\Contracts\Cache\Lock
    {
        $store = self::app()->make('cache')->store()->getStore();
        return $store instanceof LockProvider ? $store->lock($name, self::DELIVERY_LOCK_SECS) : null;
    }

    /** The container of the request (or job) being served now, never one kept from an earlier one. */
    private static function app(): Container
    {
        return \Illuminate\Container\Container::getInstance();
    }

    /** Everything else is the extension client's. */
    public function __call(string $method, array $arguments): mixed
    {
        return $this->client()->$method(...$arguments);
    }
}
