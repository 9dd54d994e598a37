<?php

namespace Dargah\Laravel\Events;

/**
 * A payment is paid and the shop has not fulfilled it yet: credit the order.
 *
 * Dispatched from the outbox: the payment is acknowledged only after every
 * listener returned, so a listener that throws leaves it there and it is
 * dispatched again (by the next callback of the payment, `dargah:deliver` or
 * `dargah:reconcile`). A listener may therefore see one payment again after
 * its own failure: credit idempotently, keyed on `$event->payment->id`.
 * Listeners run in the delivering process: the callback's request, or a
 * queue worker with config dargah.queue.connection (the DeliverPaidPayment
 * job). A listener queued on its own (ShouldQueue) would be acknowledged
 * before it ran: queue the delivery instead.
 */
final class PaymentPaid extends PaymentEvent
{
}
