<?php
// The package's own PSR-4 autoloader, for applications that do not install it
// through Composer (Debian's Laravel, a vendored copy): require this file.
spl_autoload_register(static function (string $class): void {
    $prefix = 'Dargah\\Laravel\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
