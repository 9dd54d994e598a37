<?php

namespace App\Providers;

use App\Listeners\OrderPayments;
use Dargah\Laravel\Events\PaymentFailed;
use Dargah\Laravel\Events\PaymentNeedsReview;
use Dargah\Laravel\Events\PaymentPaid;
use Illuminate\Foundation\Support\Providers\EventServiceProvider as ServiceProvider;

class EventServiceProvider extends ServiceProvider
{
    protected $listen = [
        PaymentPaid::class => [OrderPayments::class . '@paid'],
        PaymentFailed::class => [OrderPayments::class . '@failed'],
        PaymentNeedsReview::class => [OrderPayments::class . '@needsReview'],
    ];
}
