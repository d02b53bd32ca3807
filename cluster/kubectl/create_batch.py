"""`kubectl create job` and `kubectl create cronjob` (pkg/cmd/create/create_job.go, create_cronjob.go).

    kubectl create job NAME --image=IMAGE [-- COMMAND [ARGS...]]
    kubectl create job NAME --from=cronjob/CRONJOB
    kubectl create cronjob NAME --image=IMAGE --schedule='*/1 * * * *' [--restart=OnFailure|Never] [-- COMMAND...]

The objects are built as kubectl v1.32 builds them: one container named after
the Job, restartPolicy Never for a Job and OnFailure (or --restart) for a
CronJob, whose job template is named after it too. A Job made `--from` a
CronJob copies its job template's spec, labels and annotations, adds
`cronjob.kubernetes.io/instantiate: manual`, and names the CronJob as its
controller without blockOwnerDeletion. The generators register themselves
with `kubectl create` (cluster/kubectl/create.py).
"""

from __future__ import annotations

import copy

from cluster.kubectl.cli import Context
from cluster.kubectl.create import GENERATORS
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.targets import resource_type

INSTANTIATE = "cronjob.kubernetes.io/instantiate"


def _container(name: str, parsed: Parsed) -> dict:
    container: dict = {"name": name, "image": parsed.text("image")}
    if parsed.many("command"):
        container["command"] = parsed.many("command")
    container["resources"] = {}
    return container


def _job(ctx: Context, name: str, parsed: Parsed) -> dict:
    image, source = parsed.text("image"), parsed.text("from")
    if bool(image) == bool(source):
        raise UsageError("either --image or --from must be specified")
    if parsed.many("command") and source:
        raise UsageError("cannot specify --from and command")
    if source:
        return job_from_cronjob(ctx, name, source)
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": {
            "template": {
                "metadata": {"creationTimestamp": None},
                "spec": {"containers": [_container(name, parsed)], "restartPolicy": "Never"},
            }
        },
        "status": {},
    }


def job_from_cronjob(ctx: Context, name: str, source: str) -> dict:
    kind, _, cronjob_name = source.partition("/")
    if not cronjob_name:
        raise UsageError("from must be an existing cronjob")
    rt = resource_type(kind)
    if rt.kind != "CronJob":
        raise UsageError(f"unknown object type *{rt.version}.{rt.kind}")
    cronjob = ctx.api.get(rt, ctx.namespace, cronjob_name)
    template = cronjob["spec"].get("jobTemplate") or {}
    meta = template.get("metadata") or {}
    annotations = {INSTANTIATE: "manual", **(meta.get("annotations") or {})}
    job_meta: dict = {"name": name, "creationTimestamp": None}
    if meta.get("labels"):
        job_meta["labels"] = dict(meta["labels"])
    job_meta["annotations"] = annotations
    job_meta["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": cronjob_name,
            "uid": cronjob["metadata"]["uid"],
            "controller": True,
        }
    ]
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": job_meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
        "status": {},
    }


def _cronjob(ctx: Context, name: str, parsed: Parsed) -> dict:
    restart = parsed.text("restart") or "OnFailure"
    return {
        "kind": "CronJob",
        "apiVersion": "batch/v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": {
            "schedule": parsed.text("schedule"),
            "jobTemplate": {
                "metadata": {"name": name, "creationTimestamp": None},
                "spec": {
                    "template": {
                        "metadata": {"creationTimestamp": None},
                        "spec": {"containers": [_container(name, parsed)], "restartPolicy": restart},
                    }
                },
            },
        },
        "status": {},
    }


JOB_FLAGS = (Flag("image", "string", ""), Flag("from", "string", ""), Flag("save-config", "bool", False))
CRONJOB_FLAGS = (
    Flag("image", "string", ""),
    Flag("schedule", "string", ""),
    Flag("restart", "string", ""),
    Flag("save-config", "bool", False),
)
GENERATORS.update(
    {
        "job": (_job, JOB_FLAGS, ()),
        "cronjob": (_cronjob, CRONJOB_FLAGS, ("image", "schedule")),
        "cj": (_cronjob, CRONJOB_FLAGS, ("image", "schedule")),
    }
)
