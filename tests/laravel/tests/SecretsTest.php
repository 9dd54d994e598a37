<?php

namespace Tests;

use Dargah\Laravel\Facades\Dargah;
use Dargah\Laravel\Testing\Sandbox;
use Illuminate\Support\Facades\Artisan;

/**
 * No credential and no full card number in what the package writes: the
 * application's log (the audit trail goes to it in these tests:
 * DARGAH_LOG_CHANNEL=single), `dargah:payments`, the pages it serves.
 */
class SecretsTest extends TestCase
{
    public function test_no_credential_or_card_number_in_the_log_the_commands_or_the_pages(): void
    {
        $sandbox = $this->useDargahSandbox();
        $secrets = [Sandbox::CARD];
        foreach ($sandbox->gatewayTables() as $table) {
            foreach (['api_key', 'merchant', 'apiKey', 'password', 'access_token', 'refresh_token'] as $key) {
                if (isset($table[$key])) {
                    $secrets[] = $table[$key];
                }
            }
        }
        $secrets[] = $sandbox->tokenEncryptionKey();

        $shown = '';
        foreach (['mupra', 'canpay', 'atipay', 'vandar'] as $gateway) {
            $payment = Dargah::create($gateway, "secret-$gateway-" . uniqid(), 80_000, mobile: '09123456789');
            $shown .= Dargah::redirect($payment)->getContent();
            $response = $this->deliverCallback($this->payAsCustomer($payment));
            $shown .= $response->getContent() . $this->get($response->headers->get('Location'))->getContent();
            Artisan::call('dargah:payments', ['payment' => $payment->id]);
            $shown .= Artisan::output();
            $this->assertSame('paid', Dargah::payment($payment->id)->state->value);
        }
        $this->get('/dargah/callback/vandar?token=forged')->assertStatus(400);
        $log = file_get_contents(storage_path('logs/laravel.log'));
        $this->assertStringContainsString('gateway_call', $log, 'the audit trail is in the log');

        foreach (array_filter($secrets) as $secret) {
            $this->assertStringNotContainsString($secret, $log, 'a secret in the log');
            $this->assertStringNotContainsString($secret, $shown, 'a secret in a page or a command');
        }
        $this->assertStringContainsString('603799******7890', $shown, 'the card, masked');
    }
}
