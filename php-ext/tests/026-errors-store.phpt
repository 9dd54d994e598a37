--TEST--
StoreException: a store that is not a database, or cannot be made
--EXTENSIONS--
dargah
--FILE--
<?php
$broken = sys_get_temp_dir() . '/' . uniqid('dargah-broken-') . '.db';
file_put_contents($broken, str_repeat('this is not an SQLite database', 100));
foreach (["sqlite://$broken", 'sqlite:///no/such/folder/dargah.db'] as $store) {
    try {
        new Dargah\Client(['store' => $store]);
    } catch (Dargah\StoreException $e) {
        echo get_class($e), " ", $e->getKind(), " ", $e->getCode(), "\n";
    }
}
unlink($broken);
?>
--EXPECT--
Dargah\StoreException store 11
Dargah\StoreException store 11
