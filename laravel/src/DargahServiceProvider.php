<?php

namespace Dargah\Laravel;

use Dargah\Client;
use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Support\Facades\Route;
use Illuminate\Support\ServiceProvider;

/** Auto-discovered through composer.json's extra.laravel. */
class DargahServiceProvider extends ServiceProvider
{
    /**
     * How long the scheduled reconcile's overlap lock lives, in minutes.
     * Laravel's default is 24 hours: a run killed by a deploy, the OOM killer
     * or a reboot never releases its lock, and reconcile would not run for a
     * day, so paid payments whose customer closed the tab would miss their
     * gateway's verify deadline (15 minutes by default). Reconcile picks a
     * payment up 2 minutes after it was created (reconcile.min_age_secs):
     * 2 + 5 + the next minute is still well inside 15. A run takes seconds; one
     * still going after 5 minutes only overlaps the next, which the core's
     * per-payment leases and the delivery locks make harmless.
     */
    public const RECONCILE_LOCK_MINUTES = 5;

    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/dargah.php', 'dargah');

        // One client per process: the extension keeps its connections and
        // store handles per configuration, so a queue worker or an Octane
        // worker reuses them across jobs and requests. It holds no request state.
        $this->app->singleton(Client::class, static function ($app): Client {
            $config = $app['config'];
            $client = new Client(ClientConfig::build(
                $config->get('dargah'),
                $config->get('database.connections', []),
                (string) $config->get('database.default'),
            ));
            $channel = $config->get('dargah.log_channel');
            if ($channel) {
                // The audit trail: every gateway call and state change, nothing secret in it.
                $client->setLogger(static fn (string $level, string $message, array $context) =>
                    \Illuminate\Container\Container::getInstance()->make('log')->channel($channel)->log($level, $message, $context));
            }
            return $client;
        });
        $this->app->singleton(Payments::class);
    }

    public function boot(): void
    {
        $this->publishes([__DIR__ . '/../config/dargah.php' => $this->app->configPath('dargah.php')], 'dargah-config');
        $this->publishes([__DIR__ . '/../resources/views' => $this->app->resourcePath('views/vendor/dargah')], 'dargah-views');
        $this->loadViewsFrom(__DIR__ . '/../resources/views', 'dargah');
        $this->loadViewComponentsAs('dargah', [View\RedirectForm::class]);

        if ($this->app['config']->get('dargah.routes.enabled', true)) {
            $this->registerRoutes();
        }

        if ($this->app->runningInConsole()) {
            $this->commands([
                Console\ReconcileCommand::class,
                Console\RecoverCommand::class,
                Console\DeliverCommand::class,
                Console\PaymentsCommand::class,
                Console\SandboxCommand::class,
            ]);
            $this->callAfterResolving(Schedule::class, function (Schedule $schedule): void {
                if (filter_var($this->app['config']->get('dargah.reconcile.schedule', true), FILTER_VALIDATE_BOOL)) {
                    $schedule->command('dargah:reconcile')->everyMinute()->withoutOverlapping(self::RECONCILE_LOCK_MINUTES);
                }
            });
        }
    }

    /**
     * Outside the `web` group on purpose: a gateway's POST callback is
     * cross-site, carries no SameSite=Lax session cookie and no CSRF token.
     * Dargah verifies with the gateway itself; the callback only says which payment.
     */
    private function registerRoutes(): void
    {
        $routes = $this->app['config']->get('dargah.routes');
        Route::group([
            'prefix' => $routes['prefix'] ?? 'dargah',
            'middleware' => $routes['middleware'] ?? [],
        ], static function (): void {
            Route::match(['GET', 'POST'], 'callback/{gateway}/{account?}', Http\CallbackController::class)
                ->where(['gateway' => '[a-z]+', 'account' => '[a-z][a-z0-9_-]{0,31}'])
                ->name('dargah.callback');
            Route::get('payments/{payment}/in-progress', Http\InProgressController::class)
                ->where('payment', 'dp_[A-Za-z0-9_-]+')
                ->name('dargah.in-progress');
        });
    }
}
