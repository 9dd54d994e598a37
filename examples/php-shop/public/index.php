<?php
/* The product page: choose an item and a gateway; the form posts to checkout.php. */
declare(strict_types=1);

require __DIR__ . '/../src/shop.php';

use function Shop\{h, page, rial, start_session};

start_session();
$_SESSION['csrf'] ??= bin2hex(random_bytes(16));

$items = '';
foreach (Shop\CATALOG as $key => [$name, $price]) {
    $checked = $key === array_key_first(Shop\CATALOG) ? ' checked' : '';
    $items .= "<label><input type=\"radio\" name=\"item\" value=\"" . h($key) . "\"$checked> " . h($name) . ' — ' . rial($price) . "</label><br>\n";
}
$gateways = '';
foreach (Shop\GATEWAYS as $gateway) {
    $gateways .= '<option value="' . h($gateway) . '">' . h(ucfirst($gateway)) . "</option>\n";
}
$orders = '';
foreach ($_SESSION['orders'] ?? [] as $reference) {
    $orders .= '<li><a href="/order.php?ref=' . h($reference) . '">' . h($reference) . "</a></li>\n";
}
$orders = $orders ? "<h2>Your orders</h2><ul id=\"orders\">$orders</ul>" : '';

page('Checkout', <<<HTML
    <form method="post" action="/checkout.php" id="checkout">
    <input type="hidden" name="csrf" value="{$_SESSION['csrf']}">
    $items
    <p><label>Pay with <select name="gateway" id="gateway">$gateways</select></label></p>
    <p><label>Mobile <input name="mobile" id="mobile" value="09123456789"></label></p>
    <p><button type="submit" id="buy">Buy</button></p>
    </form>
    $orders
    HTML);
