<?php
// Whether this worker runs opcache and keeps config.php in its shared memory.
$cfg = require __DIR__ . '/config.php';
$on = (opcache_get_status(false)['opcache_enabled'] ?? false) ? 'opcache on' : 'opcache off';
echo $on, ', config.php ', opcache_is_script_cached(__DIR__ . '/config.php') ? 'cached' : 'not cached';
