<?php

namespace Dargah\Laravel\Testing;

use Dargah\Client;
use Dargah\Payment;
use Illuminate\Testing\TestResponse;

/**
 * For the shop's own tests (a Laravel TestCase):
 *
 *     use InteractsWithDargahSandbox;
 *
 *     $sandbox = $this->useDargahSandbox();           // every gateway at the sandbox
 *     $payment = Dargah::create('vandar', 'order-1', 250_000);
 *     $response = $this->deliverCallback($this->payAsCustomer($payment));
 *     $response->assertRedirect(...);
 *     $this->assertSame(1, $sandbox->verifyCalls($payment));
 *
 * One sandbox serves every test of the process (started on first use). Its
 * program is $DARGAH_BIN or `dargah` on the PATH, or set $dargahBinary.
 */
trait InteractsWithDargahSandbox
{
    private static ?Sandbox $dargahSandbox = null;

    /** Start the sandbox (once per process) and point every gateway of config('dargah') at it. */
    protected function useDargahSandbox(): Sandbox
    {
        self::$dargahSandbox ??= Sandbox::start(property_exists($this, 'dargahBinary') ? $this->dargahBinary : null);
        config([
            'dargah.gateways' => self::$dargahSandbox->gatewayTables(),
            'dargah.token_encryption_key' => self::$dargahSandbox->tokenEncryptionKey(),
            'dargah.sandbox_url' => null,
        ]);
        $this->app->forgetInstance(Client::class); // the next use builds the client for the sandbox
        return self::$dargahSandbox;
    }

    /** Pay ("ok") or cancel ("cancel") at the gateway as the customer would; the callback their browser makes next. */
    protected function payAsCustomer(Payment $payment, string $outcome = 'ok'): Callback
    {
        return $this->dargahSandbox()->pay($payment, $outcome);
    }

    /**
     * Deliver a callback to the application as the customer's browser does
     * after the gateway's page: no cookies, no CSRF token (a cross-site POST
     * carries neither).
     */
    protected function deliverCallback(Callback $callback): TestResponse
    {
        return $this->call($callback->method, $callback->url, $callback->method === 'POST' ? $callback->form : []);
    }

    protected function dargahSandbox(): Sandbox
    {
        return self::$dargahSandbox ?? throw new \LogicException('call useDargahSandbox() first');
    }
}
