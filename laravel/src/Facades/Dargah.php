<?php

namespace Dargah\Laravel\Facades;

use Illuminate\Support\Facades\Facade;

/**
 * @method static \Dargah\Client client()
 * @method static string callbackUrl(string $gateway, ?string $account = null)
 * @method static \Dargah\Payment create(string $gateway, string $invoiceId, int $amountRial, ?string $mobile = null, ?string $description = null, ?array $vandar = null, ?string $account = null)
 * @method static \Symfony\Component\HttpFoundation\Response redirect(\Dargah\Payment $payment)
 * @method static bool deliver(\Dargah\Payment $payment)
 * @method static array deliverOutbox(int $minAgeSecs = 0, int $limit = 100)
 * @method static \Dargah\Payment payment(string $paymentId)
 * @method static array events(string $paymentId)
 * @method static mixed call(string $operation, ?array $params = null)
 *
 * @see \Dargah\Laravel\Payments
 */
class Dargah extends Facade
{
    protected static function getFacadeAccessor(): string
    {
        return \Dargah\Laravel\Payments::class;
    }
}
