"""A trigram index for the staff list's subject search on PostgreSQL (pg_trgm, created by customers 0002)."""

from django.db import migrations

# What Django's icontains compares on PostgreSQL: UPPER("subject"::text) LIKE UPPER('%term%').
CREATE = "CREATE INDEX ticket_subject_trgm_idx ON tickets_ticket USING gin ((UPPER(subject::text)) gin_trgm_ops)"
DROP = "DROP INDEX IF EXISTS ticket_subject_trgm_idx"


def _on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("customers", "0002_contact_search")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
