<?php

namespace Dargah\Laravel\Console;

use Dargah\Payment;
use Dargah\PaymentState;
use Dargah\Laravel\Payments;
use Illuminate\Console\Command;

class PaymentsCommand extends Command
{
    protected $signature = 'dargah:payments {payment? : a payment id (dp_…): show it with its history}
        {--state= : only payments in this state (paid, in_doubt, needs_review …)}
        {--limit=20 : payments at most}';

    protected $description = 'List the newest payments, or show one with its events ("what happened to order 1001?")';

    public function handle(Payments $dargah): int
    {
        $id = $this->argument('payment');
        return $id === null ? $this->list($dargah) : $this->show($dargah, $id);
    }

    private function list(Payments $dargah): int
    {
        $state = $this->option('state');
        if ($state !== null && PaymentState::tryFrom($state) === null) {
            $states = implode(', ', array_map(static fn ($s) => $s->value, PaymentState::cases()));
            $this->error("--state: \"$state\" is not a payment state ($states)");
            return self::INVALID;
        }
        $rows = array_map(static fn (Payment $p) => [
            $p->id, $p->gateway, $p->invoiceId, $p->amount, $p->state->value,
            $p->acknowledgedAt ? 'yes' : ($p->isPaid() ? 'no' : ''), $p->createdAt->format('Y-m-d H:i:s'),
        ], $dargah->payments($state, max(1, (int) $this->option('limit'))));
        $this->table(['id', 'gateway', 'invoice', 'amount (rial)', 'state', 'acknowledged', 'created (UTC)'], $rows);
        return self::SUCCESS;
    }

    private function show(Payments $dargah, string $id): int
    {
        try {
            $p = $dargah->payment($id);
        } catch (\Dargah\UnknownPaymentException | \Dargah\InvalidInputException $e) {
            $this->error("no payment \"$id\"");
            return self::FAILURE;
        }
        $this->table(['field', 'value'], [
            ['id', $p->id], ['gateway', $p->gateway . ($p->account !== 'default' ? " (account {$p->account})" : '')],
            ['invoice', $p->invoiceId], ['amount (rial)', $p->amount], ['verified amount', $p->verifiedAmount ?? ''],
            ['state', $p->state->value], ['reference', $p->reference ?? ''], ['trace number', $p->traceNumber ?? ''],
            ['card', $p->maskedCard ?? ''], ['note', $p->note ?? ''],
            ['paid at', $p->paidAt?->format('Y-m-d H:i:s') ?? ''],
            ['acknowledged at', $p->acknowledgedAt?->format('Y-m-d H:i:s') ?? ''],
        ]);
        $events = array_map(static fn (array $e) => [
            gmdate('Y-m-d H:i:s', intdiv((int) $e['at'], 1000)), $e['label'],
            $e['raw'] === null || is_string($e['raw']) ? (string) $e['raw'] : json_encode($e['raw'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE),
        ], $dargah->events($id));
        $this->table(['at (UTC)', 'event', 'gateway answer (redacted)'], $events);
        return self::SUCCESS;
    }
}
