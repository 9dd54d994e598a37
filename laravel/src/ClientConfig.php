<?php

namespace Dargah\Laravel;


/**
 * Turns config/dargah.php (and the application's database connection) into
 * the extension's configuration array. Only translation: every rule about
 * payments stays in the extension.
 */
final class ClientConfig
{
    /** Where each gateway's API lives under a sandbox's base URL (`dargah sandbox`). */
    private const SANDBOX_BASES = [
        'mupra' => ['base_url' => '/mupra/restapi/api/ipg/'],
        'canpay' => ['base_url' => '/canpay/api/ipg/'],
        'atipay' => ['base_url' => '/atipay/v1/'],
        'vandar' => [
            'ipg_base_url' => '/vandar/ipg',
            'api_base_url' => '/vandar/api',
            'batch_base_url' => '/vandar/batch',
            'subscription_base_url' => '/vandar/subscription',
        ],
        'sepal' => ['base_url' => '/sepal'],
    ];

    /**
     * @param array $dargah       config('dargah')
     * @param array $connections  config('database.connections')
     * @param string $default     config('database.default')
     *
     * The two arrays hold every API key and database password, and this
     * throws on a bad configuration: #[\SensitiveParameter] keeps them out of
     * the exception's trace (PHP 8.2; an older PHP ignores the attribute).
     */
    public static function build(
        #[\SensitiveParameter] array $dargah,
        #[\SensitiveParameter] array $connections,
        string $default,
    ): array
    {
        $config = $dargah['options'] ?? [];
        $config['store'] = $dargah['store'] ?: self::storeUrl($connections, $dargah['connection'] ?: $default);
        $config['table_prefix'] = (string) ($dargah['table_prefix'] ?? '');
        if (!empty($dargah['token_encryption_key'])) {
            $config['token_encryption_key'] = $dargah['token_encryption_key'];
        }
        $sandbox = rtrim((string) ($dargah['sandbox_url'] ?? ''), '/');
        foreach ($dargah['gateways'] ?? [] as $gateway => $table) {
            $table = self::withoutEmpty((array) $table);
            if (self::onlyOptional($table)) {
                continue; // no credentials in .env: the gateway is not used
            }
            if ($sandbox !== '' && isset(self::SANDBOX_BASES[$gateway])) {
                foreach (self::SANDBOX_BASES[$gateway] as $key => $path) {
                    $table[$key] ??= $sandbox . $path;
                }
            }
            $config[$gateway] = $table;
        }
        return $config;
    }

    /**
     * The store URL of a Laravel database connection: the same database as
     * the application, for MySQL/MariaDB, PostgreSQL and SQLite. The
     * connections (their passwords) stay out of the trace of what it throws.
     */
    public static function storeUrl(#[\SensitiveParameter] array $connections, string $name): string
    {
        $connection = $connections[$name] ?? null;
        if ($connection === null) {
            throw new \InvalidArgumentException("dargah.connection: there is no database connection named \"$name\"");
        }
        $driver = $connection['driver'] ?? '';
        if ($driver === 'sqlite') {
            $path = (string) ($connection['database'] ?? '');
            if ($path === '' || $path === ':memory:' || $path[0] !== '/') {
                throw new \InvalidArgumentException(
                    "dargah: the SQLite connection \"$name\" needs an absolute database path (not \"$path\"); or set DARGAH_STORE"
                );
            }
            return 'sqlite://' . self::besideSqlite($path);
        }
        $schemes = ['mysql' => 'mysql', 'mariadb' => 'mysql', 'pgsql' => 'postgres'];
        if (!isset($schemes[$driver])) {
            throw new \InvalidArgumentException(
                "dargah: the \"$name\" connection's driver \"$driver\" is not one Dargah stores in (mysql, mariadb, pgsql, sqlite); set DARGAH_STORE"
            );
        }
        $user = rawurlencode((string) ($connection['username'] ?? ''));
        $password = (string) ($connection['password'] ?? '');
        $credentials = $user . ($password !== '' ? ':' . rawurlencode($password) : '');
        $host = (string) ($connection['host'] ?? '127.0.0.1');
        $port = isset($connection['port']) && $connection['port'] !== '' ? ':' . (int) $connection['port'] : '';
        $database = rawurlencode((string) ($connection['database'] ?? ''));
        return $schemes[$driver] . '://' . ($credentials !== '' ? $credentials . '@' : '') . $host . $port . '/' . $database;
    }

    /**
     * SQLite: a file of its own beside the application's (shop.sqlite ->
     * shop.dargah.sqlite). PHP's PDO and Dargah each link their own SQLite
     * library; two SQLite libraries in one process on one file break its
     * POSIX locks (closing PDO's handle drops the locks Dargah's handle
     * holds), and writes are lost. MySQL and PostgreSQL share one database.
     */
    public static function besideSqlite(string $path): string
    {
        $dot = strrpos(basename($path), '.');
        $stem = $dot === false ? $path : substr($path, 0, strlen($path) - strlen(basename($path)) + $dot);
        $extension = $dot === false ? '.sqlite' : substr(basename($path), $dot);
        return $stem . '.dargah' . $extension;
    }

    /** .env values that are not set arrive as null or "": leave them out, so the core's defaults apply. */
    private static function withoutEmpty(array $table): array
    {
        return array_filter($table, static fn ($value) => $value !== null && $value !== '' && $value !== []);
    }

    /** A table holding only names of accounts or base URLs configures no credentials of its own. */
    private static function onlyOptional(array $table): bool
    {
        foreach (array_keys($table) as $key) {
            if ($key !== 'accounts' && !str_contains((string) $key, 'base_url')) {
                return false;
            }
        }
        return !isset($table['accounts']);
    }
}
