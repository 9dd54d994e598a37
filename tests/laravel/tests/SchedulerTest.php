<?php

namespace Tests;

use App\Models\Order;
use Dargah\Laravel\DargahServiceProvider;
use Dargah\Laravel\Facades\Dargah;
use Dargah\Laravel\Testing\Sandbox;
use Illuminate\Console\Scheduling\Schedule;
use Symfony\Component\Process\Process;

/**
 * The customer pays and closes the tab: no callback ever comes. The shop's
 * cron line, `php artisan schedule:run`, runs dargah:reconcile, which asks
 * the gateway and credits the order through the listener, once.
 */
class SchedulerTest extends TestCase
{
    public function test_the_package_schedules_reconcile_every_minute_without_overlapping_for_five_minutes_at_most(): void
    {
        $events = array_values(array_filter(
            $this->app->make(Schedule::class)->events(),
            fn ($event) => str_contains($event->command, 'dargah:reconcile'),
        ));
        $this->assertCount(1, $events);
        $this->assertSame('* * * * *', $events[0]->expression);
        $this->assertTrue($events[0]->withoutOverlapping);
        // Not Laravel's 24 hours: a run killed mid-way must not stop reconcile for a day.
        $this->assertSame(5, $events[0]->expiresAt);
        $this->assertSame(DargahServiceProvider::RECONCILE_LOCK_MINUTES, $events[0]->expiresAt);

        // A run killed mid-way (deploy, OOM killer, reboot) leaves its mutex behind.
        $event = $events[0];
        $this->assertTrue($event->mutex->create($event));
        try {
            $this->assertFalse($event->filtersPass($this->app), 'skipped while the mutex holds');
            $this->travel(5 * 60 + 1)->seconds();
            $this->assertTrue($event->filtersPass($this->app), 'runs again 5 minutes later');
        } finally {
            $event->mutex->forget($event); // the real clock: schedule:run below must not find it
        }
    }

    public function test_the_closed_tab_is_credited_by_schedule_run(): void
    {
        $sandbox = $this->useDargahSandbox();
        foreach (['vandar', 'mupra'] as $gateway) {
            $this->post('/checkout', ['gateway' => $gateway, 'mobile' => '09123456789']);
            $order = Order::latest('id')->first();
            $payment = Dargah::payment($order->payment_id);
            $this->payAsCustomer($payment); // paid at the gateway; the browser never comes back
            $paid[] = [$order, $payment];
        }

        // A separate process, as cron runs it, configured from the environment as .env would.
        $env = ['DARGAH_RECONCILE_MIN_AGE' => '0'];
        foreach (Sandbox::envLines($sandbox->baseUrl) as $line) {
            [$name, $value] = explode('=', $line, 2);
            $env[$name] = $value;
        }
        $run = new Process([PHP_BINARY, 'artisan', 'schedule:run'], base_path(), $env, null, 120);
        $run->mustRun();
        $this->assertStringContainsString('dargah:reconcile', $run->getOutput());

        foreach ($paid as [$order, $payment]) {
            $this->assertSame('paid', $order->fresh()->status, "{$payment->gateway}: credited without a callback");
            $this->assertNotNull(Dargah::payment($payment->id)->acknowledgedAt);
            $this->assertSame(1, $sandbox->verifyCalls($payment));
        }

        // Again: nothing left to do, nothing verified again.
        (new Process([PHP_BINARY, 'artisan', 'schedule:run'], base_path(), $env, null, 120))->mustRun();
        foreach ($paid as [, $payment]) {
            $this->assertSame(1, $sandbox->verifyCalls($payment));
        }
    }
}
