<?php

namespace Dargah\Laravel\Console;

use Dargah\Laravel\Payments;
use Illuminate\Console\Command;

/** Scheduled every minute by the service provider (withoutOverlapping). */
class ReconcileCommand extends Command
{
    protected $signature = 'dargah:reconcile {--min-age= : seconds a payment waits for its customer before the gateway is asked (config dargah.reconcile.min_age_secs)}';

    protected $description = 'Settle payments whose customer never came back with their gateways, then deliver the outbox';

    public function handle(Payments $dargah): int
    {
        $minAge = $this->option('min-age') ?? config('dargah.reconcile.min_age_secs', 120);
        if (!is_numeric($minAge) || (int) $minAge < 0) {
            $this->error('--min-age must be a number of seconds, 0 or more');
            return self::INVALID;
        }
        $report = $dargah->reconcile((int) $minAge);
        $this->line(sprintf(
            'reconcile: paid %d, failed %d, cancelled %d, expired %d, needs review %d, still waiting %d, in doubt %d; outbox: delivered %d, left %d',
            $report['paid'] ?? 0, $report['failed'] ?? 0, $report['cancelled'] ?? 0, $report['expired'] ?? 0,
            $report['needs_review'] ?? 0, $report['still_waiting'] ?? 0, $report['in_doubt'] ?? 0,
            $report['outbox']['delivered'], $report['outbox']['left'],
        ));
        return self::SUCCESS;
    }
}
