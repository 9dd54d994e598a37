<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Checkout</title></head>
<body>
<h1>A book, {{ number_format($priceRial) }} rial</h1>
<form method="post" action="{{ route('checkout.store') }}">
    @csrf
    <select name="gateway" id="gateway">
        @foreach (['mupra' => 'Mupra', 'canpay' => 'CanPay', 'atipay' => 'AtiPay', 'vandar' => 'Vandar'] as $value => $label)
        <option value="{{ $value }}">{{ $label }}</option>
        @endforeach
    </select>
    <input name="mobile" id="mobile" inputmode="numeric" placeholder="09123456789" required>
    <button type="submit" id="pay">Pay</button>
</form>
</body>
</html>
