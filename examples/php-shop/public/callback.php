<?php
/*
 * Where the gateway sends the customer back, by GET (Vandar, Mupra) or by an
 * auto-submitted POST form (CanPay, AtiPay).
 *
 * The POST comes from the gateway's site: a cross-site request, which carries
 * no SameSite=Lax session cookie (and could carry no CSRF token). So this page
 * neither needs nor starts a session: the payment and the order are found from
 * the callback itself, and what makes that safe is that Dargah verifies the
 * payment with the gateway, once. The customer then goes to the order page,
 * whose unguessable address needs no session either.
 */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{credit, dargah, note, order_by, page, redirect};

$gateway = (string) ($_GET['gateway'] ?? '');
try {
    // The request as it came: the query, and the form for a POST.
    $outcome = dargah()->handleCallback($gateway, $_GET, $_POST);
} catch (Dargah\InvalidCallbackException | Dargah\UnknownPaymentException | Dargah\InvalidInputException $e) {
    error_log("refused a $gateway callback: " . $e->getMessage());
    page('Payment', '<p>This payment link is not valid.</p>', 400);
} catch (Dargah\Exception $e) {
    // The gateway did not answer clearly: the payment stays in doubt and
    // bin/fulfil.php (recover, then the outbox) settles it.
    error_log("a $gateway callback is in doubt: " . get_class($e) . ': ' . $e->getMessage());
    page('Payment', '<p>We could not confirm your payment yet. If you paid, your order will be updated shortly.</p>', 503);
}

$order = order_by('payment_id', $outcome->payment->id);
if (!$order) {
    page('Payment', '<p>We do not know this order.</p>', 404);
}
$session = isset($_COOKIE[Shop\SESSION_COOKIE]) ? 'with' : 'without';
note((int) $order['id'], "callback by {$_SERVER['REQUEST_METHOD']} $session the session cookie: {$outcome->kind->value}");
if ($outcome->isNewlyPaid()) {
    credit($order, $outcome->payment, 'gateway callback');
} elseif (!$outcome->isPaid() && $outcome->kind !== Dargah\OutcomeKind::InProgress) {
    Shop\db()->prepare("UPDATE orders SET status = 'not paid' WHERE id = ? AND status != 'paid'")->execute([$order['id']]);
}
// 303: a reload of the order page never sends the callback again.
redirect('/order.php?ref=' . rawurlencode($order['reference']));
