<?php

namespace Dargah\Laravel\Testing;

/**
 * The request the customer's browser makes to the shop after the gateway's
 * page: a GET redirect (Mupra, Vandar) or a form that posts itself (CanPay, AtiPay).
 */
final class Callback
{
    public function __construct(
        public readonly string $gateway,
        public readonly string $method,
        public readonly string $url,
        public readonly array $form,
    ) {
    }
}
