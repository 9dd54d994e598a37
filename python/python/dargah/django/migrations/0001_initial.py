from django.db import migrations, models


class Migration(migrations.Migration):
    """The unmanaged Payment (no table): only its permissions are created."""

    initial = True

    operations = [
        migrations.CreateModel(
            name="Payment",
            fields=[("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
            options={
                "verbose_name": "payment",
                "verbose_name_plural": "payments",
                "managed": False,
                "default_permissions": ("view",),
                "permissions": [("reconcile_payment", "Can check payments again with their gateways")],
            },
        ),
    ]
