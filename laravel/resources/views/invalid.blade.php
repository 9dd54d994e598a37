<!doctype html>
<html lang="{{ str_replace('_', '-', app()->getLocale()) }}">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Invalid payment link</title></head>
<body><h1 id="dargah-invalid">This payment link is not valid.</h1></body>
</html>
