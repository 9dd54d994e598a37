<!doctype html>
<html lang="{{ str_replace('_', '-', app()->getLocale()) }}">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Payment</title></head>
<body>
<x-dargah-redirect-form :redirect="$redirect" />
</body>
</html>
