from django.db import migrations, models

import product.apikeys.models


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0001_initial"),
    ]

    operations = [
        # Every key made before this column existed was made under the hard-coded `keel_live_`,
        # whatever API_KEY_PREFIX says when the migration runs.
        migrations.AddField(
            model_name="apikey",
            name="typed_prefix",
            field=models.CharField(default="keel_live_", max_length=32),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="apikey",
            name="typed_prefix",
            field=models.CharField(
                default=product.apikeys.models.current_typed_prefix, max_length=32
            ),
        ),
    ]
