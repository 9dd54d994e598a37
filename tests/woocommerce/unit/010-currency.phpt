--TEST--
Currencies: IRR ×1, IRT ×10, IRHR ×1000, IRHT ×10000 in exact rial; anything else refused
--FILE--
<?php
require __DIR__ . '/bootstrap.inc';

$c = 'Dargah_WC_Currency';
check($c::to_rial('1250000', 'IRR') === 1250000, 'IRR is rial');
check($c::to_rial('125000', 'IRT') === 1250000, 'IRT (toman) is 10 rial');
check($c::to_rial('1250', 'IRHR') === 1250000, 'IRHR (thousand rial) is 1,000 rial');
check($c::to_rial('125', 'IRHT') === 1250000, 'IRHT (thousand toman) is 10,000 rial');
check($c::to_rial('12.5', 'IRHT') === 125000 && $c::to_rial('1.2345', 'IRHT') === 12345, 'a fraction of a thousand toman that is whole rial');
check($c::to_rial(1250.5, 'IRT') === 12505 && $c::to_rial(1250000.0, 'IRR') === 1250000, 'floats as WooCommerce returns totals');
check($c::to_rial('1250.5', 'IRR') === null && $c::to_rial('1.23456', 'IRHT') === null, 'a fraction of a rial is refused, never rounded');
check($c::to_rial('0', 'IRR') === null && $c::to_rial('-10', 'IRR') === null && $c::to_rial('abc', 'IRR') === null, 'zero, negative and non-numbers are refused');
check($c::to_rial('100', 'USD') === null && $c::to_rial('100', 'EUR') === null && !$c::supported('USD'), 'other currencies are refused');
check($c::to_rial('1000000000000000000000', 'IRR') === null, 'beyond PHP integers is refused');
check($c::from_rial(1250000, 'IRT') === '125000' && $c::from_rial(12505, 'IRT') === '1250.5' && $c::from_rial(125000, 'IRHT') === '12.5', 'rial back into the currency');
?>
--EXPECT--
ok - IRR is rial
ok - IRT (toman) is 10 rial
ok - IRHR (thousand rial) is 1,000 rial
ok - IRHT (thousand toman) is 10,000 rial
ok - a fraction of a thousand toman that is whole rial
ok - floats as WooCommerce returns totals
ok - a fraction of a rial is refused, never rounded
ok - zero, negative and non-numbers are refused
ok - other currencies are refused
ok - beyond PHP integers is refused
ok - rial back into the currency
