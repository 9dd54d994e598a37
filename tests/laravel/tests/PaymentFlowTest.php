<?php

namespace Tests;

use App\Models\Order;
use Dargah\Laravel\Facades\Dargah;

class PaymentFlowTest extends TestCase // uses Dargah\Laravel\Testing\InteractsWithDargahSandbox
{
    public function test_a_paid_order_is_credited_once(): void
    {
        $sandbox = $this->useDargahSandbox();    // every gateway at the sandbox

        $this->post('/checkout', ['gateway' => 'vandar', 'mobile' => '09123456789'])->assertStatus(303);
        $order = Order::latest('id')->first();
        $payment = Dargah::payment($order->payment_id);

        $callback = $this->payAsCustomer($payment);  // pays on the gateway's page
        $this->deliverCallback($callback)->assertRedirect(route('checkout.paid', ['payment' => $payment->id, 'invoice' => $order->number]));
        $this->deliverCallback($callback);           // a reload of the callback page

        $this->assertSame('paid', $order->fresh()->status);
        $this->assertSame(1, $sandbox->verifyCalls($payment));
    }

    public function test_a_cancelled_payment_is_not_credited(): void
    {
        $this->useDargahSandbox();
        $this->post('/checkout', ['gateway' => 'atipay', 'mobile' => '09123456789'])->assertOk(); // its self-posting form
        $order = Order::latest('id')->first();

        $callback = $this->payAsCustomer(Dargah::payment($order->payment_id), 'cancel');
        $this->deliverCallback($callback)->assertRedirect(route('checkout.failed', ['payment' => $order->payment_id, 'invoice' => $order->number]));
        $this->assertSame('pending', $order->fresh()->status);
    }
}
