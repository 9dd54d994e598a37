<?php
// Dargah for Laravel: publish with `php artisan vendor:publish --tag=dargah-config`.
// Every secret comes from .env; nothing here is a payment rule of its own
// (docs/laravel.md, "Configuration").
return [
    // Where Dargah keeps its payments: null keeps them in the application's own
    // database (the connection below: MySQL/MariaDB, PostgreSQL or SQLite), in
    // tables named with `table_prefix`. Or a URL of its own: sqlite:///abs/path.db,
    // postgres://user:password@host/db, mysql://user:password@host/db.
    'store' => env('DARGAH_STORE'),
    'connection' => env('DARGAH_DB_CONNECTION'),   // null: the default connection
    'table_prefix' => env('DARGAH_TABLE_PREFIX', 'dargah_'),

    // Encrypts Vandar's business tokens in the store (at least 32 characters:
    // `openssl rand -base64 32`); needed for Vandar's business API only.
    'token_encryption_key' => env('DARGAH_TOKEN_KEY'),

    // A gateway whose credentials are empty is left out. `accounts` names further
    // merchant accounts, each a complete table ('branch2' => ['api_key' => ...]).
    'gateways' => [
        'mupra' => ['api_key' => env('MUPRA_API_KEY')],
        'canpay' => ['merchant' => env('CANPAY_MERCHANT')],
        'atipay' => ['apiKey' => env('ATIPAY_API_KEY'), 'terminalId' => env('ATIPAY_TERMINAL_ID')],
        'vandar' => [
            'api_key' => env('VANDAR_API_KEY'),
            'business' => env('VANDAR_BUSINESS'),
            'access_token' => env('VANDAR_ACCESS_TOKEN'),
            'refresh_token' => env('VANDAR_REFRESH_TOKEN'),
        ],
        'sepal' => [
            'mobile' => env('SEPAL_MOBILE'),
            'password' => env('SEPAL_PASSWORD'),
            'api_key' => env('SEPAL_API_KEY'),
        ],
    ],

    // Local development only: every gateway at `php artisan dargah:sandbox`
    // (http://127.0.0.1:PORT), which prints the credentials it accepts.
    'sandbox_url' => env('DARGAH_SANDBOX_URL'),

    // Further keys of the core's configuration, as they are (docs/php.md,
    // "Configuration"): 'lease_secs', 'callback_wait_ms', 'http' => [...] ...
    'options' => [],

    // Where the callback sends the customer, by outcome: route names of the
    // shop, given ?payment=dp_… and ?invoice=… . null for `in_progress` is the
    // package's own page that checks again every few seconds.
    'redirects' => [
        'paid' => env('DARGAH_PAID_ROUTE', 'checkout.paid'),
        'failed' => env('DARGAH_FAILED_ROUTE', 'checkout.failed'),
        'needs_review' => env('DARGAH_NEEDS_REVIEW_ROUTE', 'checkout.failed'),
        'in_progress' => null,
    ],

    // The callback routes: GET|POST /{prefix}/callback/{gateway}[/{account}],
    // outside the `web` group (no session, no CSRF: a gateway's POST is cross-site).
    'routes' => [
        'enabled' => true,
        'prefix' => 'dargah',
        'middleware' => [],
    ],

    // `dargah:reconcile` every minute (withoutOverlapping): settles payments
    // whose customer never came back once they are this old, then delivers the outbox.
    'reconcile' => [
        'schedule' => env('DARGAH_SCHEDULE_RECONCILE', true),
        'min_age_secs' => (int) env('DARGAH_RECONCILE_MIN_AGE', 120),
    ],

    // PaymentPaid on the queue instead of in the callback's request: a queue
    // connection (and queue name) for the DeliverPaidPayment job, whose worker
    // runs the listeners and then acknowledges. null delivers in the request.
    'queue' => [
        'connection' => env('DARGAH_QUEUE_CONNECTION'),
        'name' => env('DARGAH_QUEUE'),
    ],

    // The audit trail (every gateway call and state change, nothing secret) to
    // this log channel; null logs nothing.
    'log_channel' => env('DARGAH_LOG_CHANNEL'),
];
