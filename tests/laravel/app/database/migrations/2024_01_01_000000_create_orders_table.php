<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

class CreateOrdersTable extends Migration
{
    public function up(): void
    {
        Schema::create('orders', function (Blueprint $table) {
            $table->id();
            $table->string('number', 64)->unique();          // the invoice id the gateway sees
            $table->unsignedBigInteger('total_rial');
            $table->string('gateway', 16);
            $table->string('payment_id', 64)->nullable()->unique(); // Dargah's "dp_…"
            $table->string('status', 16)->default('pending');       // pending, paid, failed, review
            $table->timestamp('paid_at')->nullable();
            $table->timestamps();
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('orders');
    }
}
