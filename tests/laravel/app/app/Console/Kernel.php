<?php

namespace App\Console;

use Illuminate\Foundation\Console\Kernel as ConsoleKernel;

// dargah:reconcile is scheduled by the package itself (every minute, withoutOverlapping).
class Kernel extends ConsoleKernel
{
}
