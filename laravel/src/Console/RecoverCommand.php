<?php

namespace Dargah\Laravel\Console;

use Dargah\Laravel\Payments;
use Illuminate\Console\Command;

class RecoverCommand extends Command
{
    protected $signature = 'dargah:recover {--limit=100 : payments at most}';

    protected $description = 'Settle payments left in doubt (a lost verify answer, a crashed worker), then deliver the outbox';

    public function handle(Payments $dargah): int
    {
        $result = $dargah->recover(max(1, (int) $this->option('limit')));
        foreach ($result['outcomes'] as $outcome) {
            $this->line("{$outcome->payment->id} {$outcome->payment->gateway} {$outcome->payment->invoiceId}: {$outcome->kind->value}");
        }
        foreach ($result['errors'] as $error) {
            $this->warn("{$error['payment_id']}: {$error['kind']}: {$error['message']} (stays in doubt for the next run)");
        }
        $this->line(sprintf('recovered %d, errors %d; outbox: delivered %d, left %d', count($result['outcomes']),
            count($result['errors']), $result['outbox']['delivered'], $result['outbox']['left']));
        return $result['errors'] === [] ? self::SUCCESS : self::FAILURE;
    }
}
