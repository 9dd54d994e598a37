<?php
/*
 * php-ext/composer.json is what PIE reads to build the extension: check its
 * php-ext section as PIE's schema describes it (resources/composer-json-php-ext-schema.json
 * in PIE's repository), and against config.m4, so the two cannot drift apart:
 * the extension's name, and every configure option PIE may pass.
 *
 *   php tests/packages/pie_check.php php-ext/composer.json php-ext/config.m4
 */
declare(strict_types=1);

[$self, $composerFile, $m4File] = $argv + [null, null, null];
if ($composerFile === null || $m4File === null) {
    fwrite(STDERR, "usage: php $self COMPOSER_JSON CONFIG_M4\n");
    exit(2);
}
$errors = [];
$json = json_decode((string) file_get_contents($composerFile), true);
if (!is_array($json)) {
    fwrite(STDERR, "$composerFile: not a JSON object\n");
    exit(1);
}
$m4 = (string) file_get_contents($m4File);

// Composer's own fields PIE relies on.
if (($json['type'] ?? null) !== 'php-ext') {
    $errors[] = 'type must be "php-ext"';
}
if (!preg_match('~^[a-z0-9]([_.-]?[a-z0-9]+)*/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$~', (string) ($json['name'] ?? ''))) {
    $errors[] = 'name must be vendor/package';
}
if (empty($json['license'])) {
    $errors[] = 'license is missing';
}
if (!isset($json['require']['php'])) {
    $errors[] = 'require.php is missing';
}

// The php-ext section, as PIE's schema has it.
$ext = $json['php-ext'] ?? null;
$known = ['extension-name', 'priority', 'support-zts', 'support-nts', 'build-path', 'override-download-url-method',
    'os-families', 'os-families-exclude', 'configure-options'];
if (!is_array($ext)) {
    $errors[] = 'the php-ext section is missing';
    $ext = [];
}
foreach (array_diff(array_keys($ext), $known) as $key) {
    $errors[] = "php-ext.$key is not a field PIE knows";
}
if (isset($ext['priority']) && (!is_int($ext['priority']) || $ext['priority'] < 10 || $ext['priority'] > 99)) {
    $errors[] = 'php-ext.priority must be an integer from 10 to 99';
}
foreach (['support-zts', 'support-nts'] as $flag) {
    if (isset($ext[$flag]) && !is_bool($ext[$flag])) {
        $errors[] = "php-ext.$flag must be true or false";
    }
}
if (isset($ext['os-families'], $ext['os-families-exclude'])) {
    $errors[] = 'php-ext.os-families and os-families-exclude exclude each other';
}
foreach (array_merge($ext['os-families'] ?? [], $ext['os-families-exclude'] ?? []) as $family) {
    if (!in_array($family, ['windows', 'bsd', 'darwin', 'solaris', 'linux', 'unknown'], true)) {
        $errors[] = "php-ext: unknown OS family \"$family\"";
    }
}

// config.m4: the extension's name, and its --with-/--enable- options.
if (!preg_match('~PHP_NEW_EXTENSION\(\s*\[?(\w+)~', $m4, $m)) {
    $errors[] = "$m4File: no PHP_NEW_EXTENSION";
} else {
    $name = preg_replace('~^ext-~', '', (string) ($ext['extension-name'] ?? ''));
    if ($name !== $m[1]) {
        $errors[] = "php-ext.extension-name is \"$name\" but config.m4 builds \"$m[1]\"";
    }
}
preg_match_all('~PHP_ARG_(WITH|ENABLE)\(\s*\[?([\w-]+)\]?~', $m4, $args, PREG_SET_ORDER);
$m4Options = [];
foreach ($args as [, $kind, $arg]) {
    $m4Options[strtolower($kind) . '-' . str_replace('_', '-', $arg)] = true;
}
$seen = [];
foreach ($ext['configure-options'] ?? [] as $i => $option) {
    $optName = (string) ($option['name'] ?? '');
    if (!preg_match('~^[a-zA-Z0-9][a-zA-Z0-9-_]*$~', $optName)) {
        $errors[] = "php-ext.configure-options[$i]: a name like with-foo is required";
        continue;
    }
    $seen[$optName] = true;
    $base = preg_replace('~^(without|disable)-~', '', $optName);
    $base = preg_replace('~^(with|enable)-~', '', $base);
    if (!isset($m4Options["with-$base"]) && !isset($m4Options["enable-$base"])) {
        $errors[] = "php-ext.configure-options: --$optName is not an option of config.m4";
    }
    if (str_starts_with($optName, 'with-') && ($option['needs-value'] ?? false) !== true) {
        $errors[] = "php-ext.configure-options: --$optName takes a value (needs-value: true)";
    }
    if (empty($option['description'])) {
        $errors[] = "php-ext.configure-options: --$optName has no description";
    }
}
foreach (array_keys($m4Options) as $optName) {
    if (!isset($seen[$optName])) {
        $errors[] = "config.m4 has --$optName, which php-ext.configure-options does not offer";
    }
}

if ($errors) {
    foreach ($errors as $error) {
        fwrite(STDERR, "$composerFile: $error\n");
    }
    exit(1);
}
printf("pie-check: %s builds extension \"%s\" with %d configure option(s), as config.m4 does\n",
    $json['name'], $ext['extension-name'], count($seen));
