<?php

namespace Dargah\Laravel\Jobs;

use Dargah\Laravel\Payments;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldBeUnique;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;

/**
 * PaymentPaid on the queue (config dargah.queue.connection): the worker
 * dispatches the event, and the payment is acknowledged only after every
 * listener returned. A listener that throws fails this job and leaves the
 * payment in the outbox; the next `dargah:reconcile` queues it again — the
 * outbox is the retry, so one try per job.
 */
class DeliverPaidPayment implements ShouldQueue, ShouldBeUnique
{
    use Dispatchable, InteractsWithQueue, Queueable;

    public $tries = 1;

    /**
     * Seconds the uniqueness lock lives. Without it the lock lasts until the
     * job runs, so a job that never runs (the queue cleared, its message
     * expired) would keep every later delivery from queueing another, and
     * PaymentPaid would never reach the listeners. After this, `dargah:reconcile`
     * queues the payment again; a second job for a payment already delivered
     * finds it acknowledged and does nothing.
     */
    public $uniqueFor = 300;

    public function __construct(public readonly string $paymentId)
    {
    }

    /** One job per payment waiting in the queue, however often the outbox is delivered meanwhile. */
    public function uniqueId(): string
    {
        return $this->paymentId;
    }

    public function handle(Payments $dargah): void
    {
        $dargah->deliverNow($dargah->payment($this->paymentId), rethrow: true);
    }
}
