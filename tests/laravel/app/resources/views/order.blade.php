<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Order {{ $order->number }}</title></head>
<body>
<h1>Order {{ $order->number }}</h1>
<p>Status: <span id="status">{{ $order->status }}</span></p>
</body>
</html>
