<?php

namespace Tests;

use App\Models\Order;
use Dargah\Client;
use Dargah\Laravel\Events\PaymentPaid;
use Dargah\Laravel\Facades\Dargah;
use Dargah\Laravel\Jobs\DeliverPaidPayment;
use Illuminate\Support\Facades\Artisan;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Event;

/**
 * PaymentPaid on the queue (dargah.queue.connection = the database queue):
 * the callback queues one DeliverPaidPayment job, a worker runs the
 * listeners and acknowledges; a listener that fails fails the job, the
 * payment stays in the outbox and the next reconcile queues it again.
 */
class QueueTest extends TestCase
{
    public function test_a_failing_queued_delivery_leaves_the_payment_in_the_outbox_and_it_is_delivered_again_exactly_once(): void
    {
        $this->useDargahSandbox();
        config(['dargah.queue.connection' => 'database']);
        $calls = 0;
        $ours = null; // this test's payment: other tests' paid payments may be in the outbox too
        Event::listen(PaymentPaid::class, function (PaymentPaid $event) use (&$calls, &$ours): void {
            if ($event->payment->id === $ours && ++$calls === 1) {
                throw new \RuntimeException('the warehouse API is down');
            }
        });
        DB::table('jobs')->delete();

        $this->post('/checkout', ['gateway' => 'canpay', 'mobile' => '09123456789']);
        $order = Order::latest('id')->first();
        $payment = Dargah::payment($order->payment_id);
        $ours = $payment->id;
        $callback = $this->payAsCustomer($payment);
        $this->deliverCallback($callback)->assertStatus(303);
        $this->deliverCallback($callback)->assertStatus(303); // a reload: still one job waiting

        $this->assertSame(0, $calls, 'nothing ran in the request');
        $this->assertSame(1, DB::table('jobs')->count(), 'one job for the payment');
        $job = json_decode(DB::table('jobs')->value('payload'), true);
        $this->assertSame(DeliverPaidPayment::class, $job['displayName']);
        $this->assertSame($payment->id, unserialize($job['data']['command'])->paymentId);

        Artisan::call('queue:work', ['connection' => 'database', '--once' => true, '--stop-when-empty' => true]);
        $this->assertSame(1, $calls);
        $this->assertNull(Dargah::payment($payment->id)->acknowledgedAt, 'the job failed: still in the outbox');

        $this->assertSame(0, Artisan::call('dargah:reconcile', ['--min-age' => 0])); // the scheduler's next minute
        Artisan::call('queue:work', ['connection' => 'database', '--once' => true, '--stop-when-empty' => true]);
        $this->assertSame(2, $calls);
        $this->assertNotNull(Dargah::payment($payment->id)->acknowledgedAt);
        $this->assertSame('paid', $order->fresh()->status);

        $this->assertSame(0, Artisan::call('dargah:reconcile', ['--min-age' => 0]));
        Artisan::call('queue:work', ['connection' => 'database', '--once' => true, '--stop-when-empty' => true]);
        $this->assertSame(2, $calls, 'acknowledged: never delivered a third time');
        $this->assertSame(0, DB::table('jobs')->count());
        $this->assertSame(1, $this->dargahSandbox()->verifyCalls($payment));
    }

    public function test_a_lost_queued_job_does_not_keep_the_payment_from_being_queued_again(): void
    {
        $this->useDargahSandbox();
        config(['dargah.queue.connection' => 'database']);
        $calls = 0;
        $ours = null;
        Event::listen(PaymentPaid::class, function (PaymentPaid $event) use (&$calls, &$ours): void {
            if ($event->payment->id === $ours) {
                $calls++;
            }
        });
        DB::table('jobs')->delete();
        $ourJobs = function () use (&$ours): int {
            return DB::table('jobs')->pluck('payload')->filter(
                fn ($payload) => unserialize(json_decode($payload, true)['data']['command'])->paymentId === $ours,
            )->count();
        };

        $this->post('/checkout', ['gateway' => 'vandar', 'mobile' => '09123456789']);
        $order = Order::latest('id')->first();
        $payment = Dargah::payment($order->payment_id);
        $ours = $payment->id;
        $this->deliverCallback($this->payAsCustomer($payment))->assertStatus(303);
        $this->assertSame(1, $ourJobs());

        // The job is lost before any worker ran it (the queue cleared, its message expired):
        // its uniqueness lock is still held, and nothing will ever release it.
        DB::table('jobs')->delete();
        $this->assertSame(0, Artisan::call('dargah:reconcile', ['--min-age' => 0]));
        $this->assertSame(0, $ourJobs(), 'the lock still holds: no second job while the first may be waiting');

        $this->travel(301)->seconds(); // past DeliverPaidPayment::$uniqueFor, 300 seconds
        $this->assertSame(0, Artisan::call('dargah:reconcile', ['--min-age' => 0]));
        $this->assertSame(1, $ourJobs(), 'the lock expired: queued again');
        $this->assertNull(Dargah::payment($payment->id)->acknowledgedAt);
        Artisan::call('queue:work', ['connection' => 'database', '--stop-when-empty' => true]);
        $this->assertSame(1, $calls, 'PaymentPaid reached the listeners, once');
        $this->assertNotNull(Dargah::payment($payment->id)->acknowledgedAt);
        $this->assertSame('paid', $order->fresh()->status);

        $this->assertSame(0, Artisan::call('dargah:reconcile', ['--min-age' => 0]));
        $this->assertSame(0, $ourJobs(), 'acknowledged: nothing queued again');
        $this->assertSame(1, $calls);
    }
}
