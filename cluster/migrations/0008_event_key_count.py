"""Events are counted against a quota of their own (cluster/store.py): move them out of key_count."""

from django.db import migrations, models
from django.db.models import Count

EVENTS_PREFIX = "/registry/events/"


def recount(apps, schema_editor):
    Cluster = apps.get_model("cluster", "Cluster")
    Entry = apps.get_model("cluster", "Entry")
    for row in Entry.objects.filter(prefix=EVENTS_PREFIX).values("cluster_id").annotate(n=Count("id")):
        cluster = Cluster.objects.get(pk=row["cluster_id"])
        cluster.event_key_count = row["n"]
        cluster.key_count = max(cluster.key_count - row["n"], 0)
        cluster.save(update_fields=["event_key_count", "key_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("cluster", "0007_entry_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="cluster",
            name="event_key_count",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(recount, migrations.RunPython.noop),
    ]
