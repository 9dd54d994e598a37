<?php
/*
 * B2 with the extension: the same callback through Dargah\Client, as the
 * README shows a shop doing it. The client of one configuration is kept by
 * the extension for the worker's life.
 */
header('Content-Type: application/json');
$config = json_decode(file_get_contents(getenv('BENCH_CONFIG')), true, flags: JSON_THROW_ON_ERROR);
try {
    $outcome = (new Dargah\Client($config))->handleCallback('vandar', $_GET, $_POST);
    echo json_encode(['kind' => $outcome->kind->value]), "\n";
} catch (Dargah\Exception $e) {
    http_response_code($e->isInDoubt() ? 503 : 400);
    echo json_encode(['kind' => 'error', 'message' => $e->getMessage()]), "\n";
}
