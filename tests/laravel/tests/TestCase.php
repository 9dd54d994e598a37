<?php

namespace Tests;

use Dargah\Laravel\Testing\InteractsWithDargahSandbox;
use Illuminate\Contracts\Console\Kernel;

/** The test shop (tests/laravel/app, copied to build/laravel/app by run.sh) with every gateway at the sandbox. */
abstract class TestCase extends \Illuminate\Foundation\Testing\TestCase
{
    use InteractsWithDargahSandbox;

    public function createApplication()
    {
        $app = require getenv('SHOP_APP') . '/bootstrap/app.php';
        $app->make(Kernel::class)->bootstrap();
        return $app;
    }
}
