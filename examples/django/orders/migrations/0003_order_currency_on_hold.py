# An order's currency (IRR or IRT), the status "on_hold" (paid, but not what
# the order costs now) and the note that says why.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_order_unconfirmed'),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='currency',
            field=models.CharField(choices=[('IRR', 'rial'), ('IRT', 'toman')], default='IRR', max_length=3),
        ),
        migrations.AddField(
            model_name='order',
            name='note',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='order',
            name='amount',
            field=models.PositiveBigIntegerField(help_text="in the order's currency"),
        ),
        migrations.AlterField(
            model_name='order',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting for payment'), ('unconfirmed', 'Payment not confirmed yet: if you paid, this page shows it once the gateway confirms'), ('paid', 'Paid'), ('on_hold', 'Payment received, the shop is checking it'), ('failed', 'Payment did not go through')], default='pending', max_length=16),
        ),
    ]
