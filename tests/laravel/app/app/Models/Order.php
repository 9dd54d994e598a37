<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/** An order; `total_rial` is what the customer must pay, in rial. */
class Order extends Model
{
    protected $fillable = ['number', 'total_rial', 'gateway', 'payment_id', 'status', 'paid_at'];

    protected $casts = ['total_rial' => 'integer', 'paid_at' => 'datetime'];
}
