<?php
// The test shop's autoloader (Debian's Laravel, the package's own, App\), then the tests' base class.
require getenv('SHOP_APP') . '/vendor/autoload.php';
require __DIR__ . '/TestCase.php';
