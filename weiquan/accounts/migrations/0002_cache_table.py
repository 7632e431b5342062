from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The login rate limiter counts attempts in Django's database cache (shared by every worker process).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
