<?php

namespace Tests;

use Dargah\Laravel\Facades\Dargah;
use Illuminate\Support\Facades\Artisan;
use Symfony\Component\Process\Process;

/** dargah:recover and dargah:sandbox (dargah:reconcile, :deliver, :payments are in CheckoutTest and SchedulerTest). */
class CommandsTest extends TestCase
{
    public function test_recover_settles_nothing_when_nothing_is_in_doubt_and_delivers_the_outbox(): void
    {
        $this->useDargahSandbox();
        $payment = Dargah::create('canpay', 'recover-' . uniqid(), 90_000);
        $this->deliverCallback($this->payAsCustomer($payment))->assertStatus(303);

        $this->assertSame(0, Artisan::call('dargah:recover', ['--limit' => 10]));
        $this->assertMatchesRegularExpression('/^recovered 0, errors 0; outbox: delivered 0, left 0$/m', Artisan::output());
        $this->assertSame(1, $this->dargahSandbox()->verifyCalls($payment));
    }

    public function test_sandbox_command_serves_the_gateways_and_prints_the_env_lines(): void
    {
        $port = $this->freePort();
        // A process group of its own (setsid), stopped whole as Ctrl-C stops it on a terminal.
        $sandbox = new Process(['setsid', PHP_BINARY, 'artisan', 'dargah:sandbox', "--port=$port"], base_path(), ['DARGAH_BIN' => getenv('DARGAH_BIN')]);
        $sandbox->start();
        try {
            $deadline = microtime(true) + 20;
            while (@file_get_contents("http://127.0.0.1:$port/_control/stats") === false && microtime(true) < $deadline) {
                usleep(100_000);
            }
            $stats = json_decode((string) @file_get_contents("http://127.0.0.1:$port/_control/stats"), true);
            $this->assertIsArray($stats['calls'] ?? null, 'the sandbox answers on the port given');
            $this->assertStringContainsString("DARGAH_SANDBOX_URL=http://127.0.0.1:$port\n", $sandbox->getOutput());
            $this->assertStringContainsString("VANDAR_API_KEY=sandbox-vandar-ipg-api-key\n", $sandbox->getOutput());
        } finally {
            $pid = $sandbox->getPid(); // null once it exited: kill(-0) would stop this test's own process group
            if (is_int($pid) && $pid > 1 && $sandbox->isRunning()) {
                posix_kill(-$pid, SIGTERM);
            }
            while ($sandbox->isRunning()) {
                usleep(50_000);
            }
        }
        $this->assertFalse(@file_get_contents("http://127.0.0.1:$port/_control/stats"), 'stopped');
        $this->assertSame(2, Artisan::call('dargah:sandbox', ['--port' => 70000]));
    }

    public function test_the_configuration_and_views_publish_into_the_application(): void
    {
        $this->assertSame(0, Artisan::call('vendor:publish', ['--tag' => 'dargah-config']));
        $this->assertFileEquals(dirname(__DIR__, 3) . '/laravel/config/dargah.php', config_path('dargah.php'));
        $this->assertSame(0, Artisan::call('vendor:publish', ['--tag' => 'dargah-views']));
        $this->assertFileExists(resource_path('views/vendor/dargah/components/redirect-form.blade.php'));
    }

    private function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) parse_url('tcp://' . stream_socket_get_name($socket, false), PHP_URL_PORT);
        fclose($socket);
        return $port;
    }
}
