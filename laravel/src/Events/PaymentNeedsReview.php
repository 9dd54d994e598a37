<?php

namespace Dargah\Laravel\Events;

/**
 * Money moved, but not as the payment asked (another amount, a receipt used
 * before): a person must look before the order is fulfilled or refunded.
 * Dispatched once per payment (remembered in the application's cache).
 */
final class PaymentNeedsReview extends PaymentEvent
{
}
