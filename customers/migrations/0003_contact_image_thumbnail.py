from django.db import migrations, models

import customers.models

# A plain ADD COLUMN on both databases: Django's SQLite schema editor would rebuild customers_contact for a
# column with a default, which drops the search triggers of 0002.
ADD = "ALTER TABLE customers_contact ADD COLUMN image_thumbnail varchar(100) NOT NULL DEFAULT ''"
DROP = "ALTER TABLE customers_contact DROP COLUMN image_thumbnail"


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_contact_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="contact",
                    name="image_thumbnail",
                    field=models.ImageField(blank=True, editable=False, upload_to=customers.models.contact_image_path),
                ),
            ],
            database_operations=[migrations.RunSQL(ADD, DROP)],
        ),
    ]
