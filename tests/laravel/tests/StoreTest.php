<?php

namespace Tests;

use Dargah\Client;
use Dargah\Laravel\ClientConfig;
use Dargah\Laravel\Facades\Dargah;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Str;

/**
 * Dargah keeps its payments in the application's own database by default,
 * under a table prefix: SQLite, PostgreSQL and MariaDB (the servers of
 * `make db-start`, DARGAH_TEST_POSTGRES_URL / DARGAH_TEST_MYSQL_URL).
 */
class StoreTest extends TestCase
{
    public function connections(): array
    {
        return ['sqlite' => ['sqlite', null], 'pgsql' => ['pgsql', 'DARGAH_TEST_POSTGRES_URL'], 'mysql' => ['mysql', 'DARGAH_TEST_MYSQL_URL']];
    }

    /** @dataProvider connections */
    public function test_payments_live_in_the_applications_own_database_under_the_prefix(string $connection, ?string $urlVariable): void
    {
        if ($urlVariable !== null) {
            $url = getenv($urlVariable);
            if ($url === false || $url === '') {
                if (getenv('DARGAH_REQUIRE_DATABASES') === '1') {
                    $this->fail("$urlVariable is not set");
                }
                $this->markTestSkipped("$urlVariable is not set (make db-start)");
            }
            $parts = parse_url($url);
            config(["database.connections.$connection" => array_merge(config("database.connections.$connection"), [
                'host' => $parts['host'], 'port' => $parts['port'], 'database' => ltrim($parts['path'], '/'),
                'username' => $parts['user'], 'password' => $parts['pass'],
            ])]);
        }
        $sandbox = $this->useDargahSandbox();
        $prefix = 'lt' . Str::lower(Str::random(6)) . '_'; // a fresh set of tables each run
        // The shop's orders stay in its SQLite; Dargah's tables go to the connection named (the default one when null).
        config(['dargah.connection' => $connection, 'dargah.table_prefix' => $prefix, 'dargah.store' => null]);
        $this->app->forgetInstance(Client::class);

        $payment = Dargah::create('vandar', 'store-' . Str::random(10), 120_000);
        $this->deliverCallback($this->payAsCustomer($payment))->assertStatus(303);

        $this->assertSame('paid', Dargah::payment($payment->id)->state->value);
        $this->assertSame(1, $sandbox->verifyCalls($payment));
        if ($connection === 'sqlite') {
            // A file of its own beside the shop's: never two SQLite libraries (PDO's, Dargah's) on one file in one process.
            $file = preg_replace('/\\.sqlite$/', '.dargah.sqlite', config('database.connections.sqlite.database'));
            $this->assertSame('sqlite://' . $file, ClientConfig::build(config('dargah'), config('database.connections'), 'sqlite')['store']);
            $read = new \Symfony\Component\Process\Process([PHP_BINARY, '-r', '$db = new PDO("sqlite:" . $argv[1]);
                echo $db->query("SELECT invoice_id FROM {$argv[2]}payments WHERE id = " . $db->quote($argv[3]))->fetchColumn();',
                $file, $prefix, $payment->id]); // another process: PDO's SQLite never opens Dargah's file here
            $this->assertSame($payment->invoiceId, $read->mustRun()->getOutput(), "a row of {$prefix}payments in $file");
            return;
        }
        $row = DB::connection($connection)->table($prefix . 'payments')->where('id', $payment->id)->first();
        $this->assertNotNull($row, "the payment is a row of {$prefix}payments in the $connection database");
        $this->assertSame($payment->invoiceId, $row->invoice_id);
    }

    public function test_the_store_url_of_each_laravel_connection(): void
    {
        $connections = [
            'lite' => ['driver' => 'sqlite', 'database' => '/var/lib/shop/db.sqlite'],
            'pg' => ['driver' => 'pgsql', 'host' => 'db.internal', 'port' => '5433', 'database' => 'shop', 'username' => 'shop', 'password' => 'p@ss/w:rd'],
            'my' => ['driver' => 'mysql', 'host' => '10.0.0.5', 'port' => 3306, 'database' => 'shop', 'username' => 'shop', 'password' => ''],
            'maria' => ['driver' => 'mariadb', 'host' => 'localhost', 'database' => 'shop', 'username' => 'root'],
            'memory' => ['driver' => 'sqlite', 'database' => ':memory:'],
            'mssql' => ['driver' => 'sqlsrv', 'host' => 'x'],
        ];
        $this->assertSame('sqlite:///var/lib/shop/db.dargah.sqlite', ClientConfig::storeUrl($connections, 'lite'));
        $this->assertSame('/var/lib/shop/data.dargah.sqlite', ClientConfig::besideSqlite('/var/lib/shop/data'));
        $this->assertSame('/srv/a.b/shop.dargah.db', ClientConfig::besideSqlite('/srv/a.b/shop.db'));
        $this->assertSame('postgres://shop:p%40ss%2Fw%3Ard@db.internal:5433/shop', ClientConfig::storeUrl($connections, 'pg'));
        $this->assertSame('mysql://shop@10.0.0.5:3306/shop', ClientConfig::storeUrl($connections, 'my'));
        $this->assertSame('mysql://root@localhost/shop', ClientConfig::storeUrl($connections, 'maria'));
        foreach (['memory' => 'absolute database path', 'mssql' => 'not one Dargah stores in', 'nothing' => 'no database connection named "nothing"'] as $name => $why) {
            try {
                ClientConfig::storeUrl($connections, $name);
                $this->fail("$name was accepted");
            } catch (\InvalidArgumentException $e) {
                $this->assertStringContainsString($why, $e->getMessage());
                $this->assertStringNotContainsString('p@ss', $e->getMessage());
            }
        }
    }

    public function test_gateways_without_credentials_are_left_out_and_the_sandbox_url_sets_every_base(): void
    {
        $config = ClientConfig::build([
            'store' => 'sqlite:///tmp/x.db', 'connection' => null, 'table_prefix' => 'dargah_', 'token_encryption_key' => null,
            'sandbox_url' => 'http://127.0.0.1:8700/',
            'options' => ['lease_secs' => 30],
            'gateways' => [
                'mupra' => ['api_key' => null],
                'canpay' => ['merchant' => ''],
                'vandar' => ['api_key' => 'k', 'business' => null, 'access_token' => null],
                'atipay' => ['apiKey' => 'a', 'terminalId' => '1', 'base_url' => 'https://mine.example/v1/'],
            ],
        ], [], 'sqlite');
        $this->assertSame([
            'lease_secs' => 30,
            'store' => 'sqlite:///tmp/x.db',
            'table_prefix' => 'dargah_',
            'vandar' => ['api_key' => 'k', 'ipg_base_url' => 'http://127.0.0.1:8700/vandar/ipg', 'api_base_url' => 'http://127.0.0.1:8700/vandar/api',
                'batch_base_url' => 'http://127.0.0.1:8700/vandar/batch', 'subscription_base_url' => 'http://127.0.0.1:8700/vandar/subscription'],
            'atipay' => ['apiKey' => 'a', 'terminalId' => '1', 'base_url' => 'https://mine.example/v1/'],
        ], $config);
    }
}
