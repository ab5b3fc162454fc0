from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The wrong-code throttle counts in the database cache when REDIS_URL is not set;
    # createcachetable does nothing for Redis and skips a table that already exists.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("submissions", "0002_event")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
