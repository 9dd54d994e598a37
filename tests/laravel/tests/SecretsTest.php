<?php

namespace Tests;

use Dargah\Laravel\ClientConfig;
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

    public function test_a_bad_configurations_exception_trace_holds_no_api_key_or_database_password(): void
    {
        $ignoreArgs = ini_set('zend.exception_ignore_args', '0'); // as on a development PHP: arguments in traces
        try {
            $dargah = [
                'store' => null, 'connection' => 'nothing', 'table_prefix' => 'dargah_', 'sandbox_url' => null,
                'token_encryption_key' => 'token-key-SECRET-1', 'options' => [],
                'gateways' => ['vandar' => ['api_key' => 'vandar-key-SECRET-2']],
            ];
            $connections = [
                'pg' => ['driver' => 'pgsql', 'host' => 'db', 'database' => 'shop', 'username' => 'shop', 'password' => 'db-pass-SECRET-3'],
                'mssql' => ['driver' => 'sqlsrv', 'host' => 'db', 'password' => 'db-pass-SECRET-4'],
            ];
            $thrown = [];
            foreach ([
                'build' => fn () => ClientConfig::build($dargah, $connections, 'pg'),
                'storeUrl' => fn () => ClientConfig::storeUrl($connections, 'mssql'),
            ] as $function => $call) {
                try {
                    $call();
                    $this->fail("$function accepted a bad configuration");
                } catch (\InvalidArgumentException $e) {
                    $thrown[$function] = $e;
                }
            }
        } finally {
            ini_set('zend.exception_ignore_args', $ignoreArgs);
        }

        foreach ($thrown as $function => $e) {
            $frames = array_values(array_filter($e->getTrace(), fn ($frame) => ($frame['class'] ?? '') === ClientConfig::class));
            $this->assertNotEmpty($frames, "$function: ClientConfig in the trace");
            foreach ($frames as $frame) {
                $this->assertArrayHasKey('args', $frame, 'the trace holds arguments');
                $this->assertInstanceOf(\SensitiveParameterValue::class, $frame['args'][0], "{$frame['function']}: its first array hidden");
                if ($frame['function'] === 'build') {
                    $this->assertInstanceOf(\SensitiveParameterValue::class, $frame['args'][1], 'build: the connections hidden');
                    $this->assertSame('pg', $frame['args'][2], 'the arguments that are not secret are there');
                } else {
                    $this->assertSame('storeUrl', $frame['function']);
                    $this->assertIsString($frame['args'][1], 'the connection name is there');
                }
            }
            $shown = print_r($e->getTrace(), true) . $e->getTraceAsString() . $e;
            foreach (['token-key-SECRET-1', 'vandar-key-SECRET-2', 'db-pass-SECRET-3', 'db-pass-SECRET-4'] as $secret) {
                $this->assertStringNotContainsString($secret, $shown, "$function: a secret in the trace");
            }
        }
        $this->assertSame(['build', 'storeUrl'], array_keys($thrown));
    }
}
