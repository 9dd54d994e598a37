<?php

namespace Dargah\Laravel\Console;

use Dargah\Laravel\Payments;
use Illuminate\Console\Command;

class DeliverCommand extends Command
{
    protected $signature = 'dargah:deliver {--limit=100 : payments at most}';

    protected $description = 'Dispatch PaymentPaid for every paid payment not acknowledged yet (the outbox), acknowledging each after its listeners';

    public function handle(Payments $dargah): int
    {
        $counts = $dargah->deliverOutbox(0, max(1, (int) $this->option('limit')));
        $this->line("outbox: delivered {$counts['delivered']}, left {$counts['left']}");
        return $counts['left'] === 0 ? self::SUCCESS : self::FAILURE;
    }
}
