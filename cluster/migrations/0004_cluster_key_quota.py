"""The cluster's live-key count and quota; and a repair of values the store could not read back.

Before this migration a lone surrogate could be stored (written by the
standard library, unreadable by orjson), which broke every read of the
object. Such values are rewritten as Go's decoder would have stored them:
with U+FFFD in place of each lone surrogate (cluster/decoding.py).
"""
import json

import orjson
from django.db import migrations, models
from django.db.models import Count

import cluster.models


def count_keys(apps, schema_editor):
    Cluster = apps.get_model("cluster", "Cluster")
    Entry = apps.get_model("cluster", "Entry")
    for row in Entry.objects.values("cluster_id").annotate(n=Count("id")):
        Cluster.objects.filter(pk=row["cluster_id"]).update(key_count=row["n"])


def repair_unreadable_values(apps, schema_editor):
    from cluster import decoding

    for model in ("Entry", "Revision"):
        rows = apps.get_model("cluster", model).objects
        for pk, value in rows.values_list("pk", "value").iterator():
            try:
                orjson.loads(value)
            except orjson.JSONDecodeError:
                fixed = decoding.clean(json.loads(value))
                rows.filter(pk=pk).update(value=orjson.dumps(fixed).decode())


class Migration(migrations.Migration):

    dependencies = [
        ('cluster', '0003_fewer_history_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='cluster',
            name='key_count',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='cluster',
            name='object_limit',
            field=models.IntegerField(default=cluster.models.default_object_limit),
        ),
        migrations.RunPython(count_keys, migrations.RunPython.noop),
        migrations.RunPython(repair_unreadable_values, migrations.RunPython.noop),
    ]
