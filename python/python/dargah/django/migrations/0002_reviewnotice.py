from django.db import migrations, models


class Migration(migrations.Migration):
    """ReviewNotice: the owner was told once that a payment needs review."""

    dependencies = [("dargah", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="ReviewNotice",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("payment_id", models.CharField(max_length=64, unique=True)),
                ("gateway", models.CharField(max_length=16)),
                ("invoice_id", models.CharField(max_length=255)),
                ("noticed_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "review notice", "verbose_name_plural": "review notices", "default_permissions": ()},
        ),
    ]
