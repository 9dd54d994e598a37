<?php

namespace Dargah\Laravel\Testing;

use Dargah\Payment;

/**
 * The gateways' sandbox (`dargah sandbox`, from the dargah package or a
 * build) on a free loopback port, stopped when this object goes: the
 * gateways' wire APIs and payment pages, and its /_control API to pay as a
 * customer and count the gateway calls.
 */
final class Sandbox
{
    /** The card the sandbox's pages accept (any 16 digits do). */
    public const CARD = '6037991234567890';

    /** The gateway call that verifies a payment: verify-once means one of these per payment. */
    public const VERIFY_ENDPOINTS = [
        'mupra' => 'mupra.verify',
        'canpay' => 'canpay.verify',
        'atipay' => 'atipay.verify-payment',
        'vandar' => 'vandar.verify',
    ];

    /** The sandbox's own credentials (sandbox/README.md): for local development only. */
    private const CREDENTIALS = [
        'MUPRA_API_KEY' => 'sandbox-mupra-api-key',
        'CANPAY_MERCHANT' => 'sandbox-canpay-merchant',
        'ATIPAY_API_KEY' => 'sandbox-atipay-api-key',
        'ATIPAY_TERMINAL_ID' => '12345678',
        'VANDAR_API_KEY' => 'sandbox-vandar-ipg-api-key',
    ];

    /** @var resource */
    private $process;

    private function __construct($process, public readonly string $baseUrl, private readonly array $clientConfig, private readonly string $log)
    {
        $this->process = $process;
    }

    /** The dargah program: the one given, else $DARGAH_BIN, else `dargah` on the PATH. */
    public static function binary(?string $given = null): string
    {
        $bin = $given ?: (getenv('DARGAH_BIN') ?: 'dargah');
        return $bin;
    }

    /** .env lines pointing a shop at a sandbox on $baseUrl. */
    public static function envLines(string $baseUrl): array
    {
        $lines = ["DARGAH_SANDBOX_URL=$baseUrl"];
        foreach (self::CREDENTIALS as $name => $value) {
            $lines[] = "$name=$value";
        }
        return $lines;
    }

    /** Start one on a free port of 127.0.0.1; waits until it answers. */
    public static function start(?string $binary = null, float $timeoutSecs = 20.0): self
    {
        $log = tempnam(sys_get_temp_dir(), 'dargah-sandbox-');
        $process = proc_open(
            [self::binary($binary), 'sandbox', '--port', '0'],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', $log, 'w']],
            $pipes,
        );
        if (!is_resource($process)) {
            throw new \RuntimeException('could not run ' . self::binary($binary) . ' sandbox');
        }
        $deadline = microtime(true) + $timeoutSecs;
        while (microtime(true) < $deadline) {
            $printed = (string) file_get_contents($log);
            // It prints its address, then the client configuration for it, ending with a "}" line.
            if (preg_match('/^dargah sandbox listening on (http:\S+)/m', $printed, $url)
                && preg_match('/^client configuration for it:\n(\{.*?^\})/ms', $printed, $json)) {
                return new self($process, $url[1], json_decode($json[1], true, flags: JSON_THROW_ON_ERROR), $log);
            }
            if (!proc_get_status($process)['running']) {
                break;
            }
            usleep(50_000);
        }
        proc_terminate($process);
        throw new \RuntimeException("the sandbox did not start:\n" . file_get_contents($log));
    }

    public function __destruct()
    {
        $this->stop();
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
        if (is_file($this->log)) {
            unlink($this->log);
        }
    }

    /**
     * Every gateway's table for config('dargah.gateways'): the sandbox's
     * credentials and base URLs.
     */
    public function gatewayTables(): array
    {
        return array_intersect_key($this->clientConfig, array_flip(['mupra', 'canpay', 'atipay', 'vandar', 'sepal']));
    }

    /** The key the sandbox's Vandar business tokens are encrypted with in the store. */
    public function tokenEncryptionKey(): ?string
    {
        return $this->clientConfig['token_encryption_key'] ?? null;
    }

    /**
     * Do what the customer does on the gateway's page — "ok" pays with
     * $card, "cancel" presses Cancel — and return the callback their browser
     * would then make to the shop.
     */
    public function pay(Payment $payment, string $outcome = 'ok', string $card = self::CARD): Callback
    {
        if (!in_array($outcome, ['ok', 'cancel'], true)) {
            throw new \InvalidArgumentException("outcome must be \"ok\" or \"cancel\", not \"$outcome\"");
        }
        $answer = $this->control('POST', 'pay', [
            'gateway' => $payment->gateway,
            'token' => self::tokenOf($payment),
            'action' => $outcome === 'ok' ? 'pay' : 'cancel',
            'card' => $card,
        ]);
        $form = array_map('strval', (array) ($answer['form'] ?? []));
        return new Callback($payment->gateway, $answer['method'], $answer['url'], $form);
    }

    /** Every call the sandbox served: ['calls' => [...], 'by_token' => [token => [endpoint => n]] ...]. */
    public function stats(): array
    {
        return $this->control('GET', 'stats');
    }

    /** How often the gateway was asked to verify this payment. */
    public function verifyCalls(Payment $payment): int
    {
        $endpoint = self::VERIFY_ENDPOINTS[$payment->gateway]
            ?? throw new \InvalidArgumentException("{$payment->gateway} has no payments");
        return (int) ($this->stats()['by_token'][self::tokenOf($payment)][$endpoint] ?? 0);
    }

    /** How often any payment was verified at any gateway since the start. */
    public function allVerifyCalls(): int
    {
        $calls = $this->stats()['calls'] ?? [];
        return array_sum(array_map(static fn ($endpoint) => (int) ($calls[$endpoint] ?? 0), self::VERIFY_ENDPOINTS));
    }

    private static function tokenOf(Payment $payment): string
    {
        return $payment->token ?? throw new \InvalidArgumentException("payment {$payment->id} was never sent to its gateway (no token)");
    }

    private function control(string $method, string $path, ?array $body = null): array
    {
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\n",
            'content' => $body === null ? '' : json_encode($body),
            'ignore_errors' => true,
            'timeout' => 30,
        ]]);
        $answer = file_get_contents("{$this->baseUrl}/_control/$path", false, $context);
        $status = (int) preg_replace('/^HTTP\/\S+ (\d+).*/', '$1', $http_response_header[0] ?? 'HTTP/1.1 0');
        if ($answer === false || $status !== 200) {
            throw new \RuntimeException("sandbox $method /_control/$path: $status " . substr((string) $answer, 0, 500));
        }
        return json_decode($answer, true, flags: JSON_THROW_ON_ERROR);
    }
}
