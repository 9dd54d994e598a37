# The order status "unconfirmed": the customer came back without a confirmed
# payment that is still open at the gateway (not failed for good).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='order',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting for payment'), ('unconfirmed', 'Payment not confirmed yet: if you paid, this page shows it once the gateway confirms'), ('paid', 'Paid'), ('failed', 'Payment did not go through')], default='pending', max_length=16),
        ),
    ]
