"""Events are counted against a quota of their own (cluster/store.py): move them out of key_count."""

from django.db import migrations, models
from django.db.models import Count, Q

EVENTS_PREFIX = "/registry/events/"


def recount(apps, schema_editor):
    """Both counts from the live keys themselves (what key_count held included the Events)."""
    Cluster = apps.get_model("cluster", "Cluster")
    Entry = apps.get_model("cluster", "Entry")
    rows = Entry.objects.values("cluster_id").annotate(
        events=Count("id", filter=Q(prefix=EVENTS_PREFIX)), others=Count("id", filter=~Q(prefix=EVENTS_PREFIX))
    )
    for row in rows:
        Cluster.objects.filter(pk=row["cluster_id"]).update(key_count=row["others"], event_key_count=row["events"])


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
