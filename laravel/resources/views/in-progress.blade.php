<!doctype html>
<html lang="{{ str_replace('_', '-', app()->getLocale()) }}">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="{{ $checkEverySecs }}">
<title>Confirming your payment</title>
</head>
<body>
<h1 id="dargah-in-progress">We are confirming your payment</h1>
<p>Invoice {{ $payment->invoiceId }}: the gateway has not confirmed it yet. This page checks again every {{ $checkEverySecs }} seconds; you may also close it, the order is updated either way.</p>
</body>
</html>
