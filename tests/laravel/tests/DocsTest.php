<?php

namespace Tests;

use PHPUnit\Framework\TestCase as PlainTestCase;

/**
 * docs/laravel.md's example is the tested one: every code block the docs
 * introduce with a file name of the test shop (tests/laravel/app/…,
 * tests/laravel/tests/…) is that file, byte for byte.
 */
class DocsTest extends PlainTestCase
{
    public function test_every_file_the_docs_show_is_the_tested_file(): void
    {
        $repo = dirname(__DIR__, 3);
        $docs = file_get_contents("$repo/docs/laravel.md");
        // A line "`tests/laravel/…`:" (or "… `tests/laravel/…`:"), then a fenced block.
        preg_match_all('/`(tests\/laravel\/[^`]+)`:\n\n```[a-z]*\n(.*?)```\n/s', $docs, $blocks, PREG_SET_ORDER);
        $shown = [];
        foreach ($blocks as [, $path, $code]) {
            $this->assertFileExists("$repo/$path");
            $this->assertSame(file_get_contents("$repo/$path"), $code, "docs/laravel.md shows $path as it is");
            $shown[] = $path;
        }
        foreach ([
            'tests/laravel/app/app/Http/Controllers/CheckoutController.php',
            'tests/laravel/app/app/Listeners/OrderPayments.php',
            'tests/laravel/app/app/Providers/EventServiceProvider.php',
            'tests/laravel/app/routes/web.php',
            'tests/laravel/tests/PaymentFlowTest.php',
        ] as $required) {
            $this->assertContains($required, $shown, "docs/laravel.md shows $required");
        }
    }

    public function test_the_docs_name_every_command_and_configuration_key(): void
    {
        $repo = dirname(__DIR__, 3);
        $docs = file_get_contents("$repo/docs/laravel.md");
        foreach (['dargah:reconcile', 'dargah:recover', 'dargah:deliver', 'dargah:payments', 'dargah:sandbox'] as $command) {
            $this->assertStringContainsString($command, $docs);
        }
        $config = require "$repo/laravel/config/dargah.php";
        foreach (array_keys($config) as $key) {
            $this->assertStringContainsString("`$key`", $docs, "docs/laravel.md explains dargah.$key");
        }
    }
}
