<?php

namespace App\Http\Controllers;

use App\Models\Order;
use Dargah\Laravel\Facades\Dargah;
use Illuminate\Http\Request;
use Illuminate\Support\Str;

class CheckoutController
{
    private const PRICE_RIAL = 250_000;

    public function show()
    {
        return view('checkout', ['priceRial' => self::PRICE_RIAL]);
    }

    /** Record the order, create its payment, send the customer to the gateway. */
    public function store(Request $request)
    {
        $input = $request->validate([
            'gateway' => 'required|in:mupra,canpay,atipay,vandar',
            'mobile' => ['required', 'regex:/^09[0-9]{9}$/'],       // AtiPay requires it; the others show it on their page
        ]);
        $gateway = $input['gateway'];
        $order = Order::create([
            'number' => 'ord-' . Str::lower(Str::random(12)), // unique per gateway: [A-Za-z0-9_-]{1,64}
            'total_rial' => self::PRICE_RIAL,
            'gateway' => $gateway,
        ]);
        $payment = Dargah::create($gateway, $order->number, $order->total_rial,
            mobile: $input['mobile'], description: "Order {$order->number}");
        $order->update(['payment_id' => $payment->id]);   // the key the events find the order by
        return Dargah::redirect($payment);                 // a 303, or AtiPay's self-posting form
    }

    /** checkout.paid and checkout.failed: where the callback sends the customer (?payment=dp_…). */
    public function result(Request $request)
    {
        $order = Order::where('payment_id', (string) $request->query('payment'))->firstOrFail();
        return view('order', ['order' => $order]);
    }
}
