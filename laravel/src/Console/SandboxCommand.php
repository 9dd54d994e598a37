<?php

namespace Dargah\Laravel\Console;

use Dargah\Laravel\Testing\Sandbox;
use Illuminate\Console\Command;

/** Local development: the gateways' sandbox in the foreground, and the .env lines that point the shop at it. */
class SandboxCommand extends Command
{
    protected $signature = 'dargah:sandbox {--port=8700 : the port on 127.0.0.1}
        {--bin= : the dargah program (default: $DARGAH_BIN, else `dargah` on the PATH)}';

    protected $description = 'Run the gateways\' sandbox (payment pages a browser can pay on) for local development';

    public function handle(): int
    {
        $port = (int) $this->option('port');
        if ($port < 1 || $port > 65535) {
            $this->error('--port must be 1 to 65535');
            return self::INVALID;
        }
        $this->info('Put these lines in .env (sandbox credentials only: never for a real shop), then restart the app:');
        foreach (Sandbox::envLines("http://127.0.0.1:$port") as $line) {
            $this->line($line);
        }
        $this->line('');
        // In the foreground, on this terminal, until Ctrl-C (which stops both).
        $sandbox = proc_open([Sandbox::binary($this->option('bin')), 'sandbox', '--port', (string) $port], [STDIN, STDOUT, STDERR], $pipes);
        if (!is_resource($sandbox)) {
            $this->error('could not run ' . Sandbox::binary($this->option('bin')));
            return self::FAILURE;
        }
        return proc_close($sandbox);
    }
}
