--TEST--
The whole flow on Atipay: create, redirect, pay, callback once, reload, acknowledge, cancel
--EXTENSIONS--
dargah
--SKIPIF--
<?php require __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/flow.inc';
run_flow('atipay');
?>
--EXPECT--
created: awaiting, POST
callback: POST
first callback: newly_paid (credit now)
reload: already_paid, raw: already_paid
verify calls: 1
bool(true)
bool(false)
stored: paid, acknowledged: yes
cancelled: not paid
