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
