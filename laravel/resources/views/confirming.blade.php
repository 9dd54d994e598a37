<!doctype html>
<html lang="{{ str_replace('_', '-', app()->getLocale()) }}">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Confirming your payment</title></head>
<body><h1 id="dargah-confirming">We are confirming your payment with the gateway.</h1>
<p>Your order is updated as soon as it answers; you may close this page.</p></body>
</html>
