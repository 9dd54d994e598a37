<?php

use App\Http\Controllers\CheckoutController;
use Illuminate\Support\Facades\Route;

// The shop's pages, in the `web` group (session, CSRF). Dargah's callback
// route, /dargah/callback/{gateway}, comes from the package, outside it.
Route::get('/', [CheckoutController::class, 'show'])->name('checkout');
Route::post('/checkout', [CheckoutController::class, 'store'])->name('checkout.store');
Route::get('/checkout/paid', [CheckoutController::class, 'result'])->name('checkout.paid');
Route::get('/checkout/failed', [CheckoutController::class, 'result'])->name('checkout.failed');
