"""Rolling a Deployment back to an earlier revision (upstream's rollback.go).

`kubectl rollout undo` in 1.32 copies the old ReplicaSet's template into the
Deployment itself; the controller then finds that ReplicaSet again as the new
one and raises its revision. This module serves the older path too: the
`deprecated.deployment.rollback.to` annotation, which the controller turns into
that same template copy, with upstream's events.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from cluster.controllers import deployment_util as du
from cluster.controllers.controller_utils import POD_TEMPLATE_HASH, equal_ignore_hash
from cluster.events import NORMAL, WARNING

if TYPE_CHECKING:
    from cluster.controllers.deployment import DeploymentSync


def rollback_revision(d: dict) -> int | None:
    text = (d["metadata"].get("annotations") or {}).get(du.ROLLBACK_TO, "")
    try:
        return int(text) if text else None
    except ValueError:
        return None


def rollback(sync: DeploymentSync, rss: list[dict]) -> None:
    new_rs, old_rss = sync.all_replica_sets(rss, create=True)
    all_rss = [rs for rs in old_rss + [new_rs] if rs is not None]
    target = rollback_revision(sync.d)
    if target == 0:
        target = du.last_revision(all_rss)
        if target == 0:
            sync.event(WARNING, "DeploymentRollbackRevisionNotFound", "Unable to find last revision.")
            _clear_rollback_to(sync)
            return
    for rs in all_rss:
        if du.revision(rs) == target:
            if _rollback_to_template(sync, rs):
                sync.event(
                    NORMAL,
                    "DeploymentRollback",
                    f'Rolled back deployment "{sync.d["metadata"]["name"]}" to revision {target}',
                )
            return
    sync.event(WARNING, "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.")
    _clear_rollback_to(sync)


def _rollback_to_template(sync: DeploymentSync, rs: dict) -> bool:
    if equal_ignore_hash(sync.d["spec"].get("template"), rs["spec"].get("template")):
        sync.event(
            WARNING,
            "DeploymentRollbackTemplateUnchanged",
            f'The rollback revision contains the same template as current deployment "{sync.d["metadata"]["name"]}"',
        )
        _clear_rollback_to(sync)
        return False
    template = copy.deepcopy(rs["spec"]["template"])
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.pop(POD_TEMPLATE_HASH, None)
    template.setdefault("metadata", {})["labels"] = labels
    target = copy.deepcopy(sync.d)
    du.set_deployment_annotations_to(target, rs)

    def put(obj: dict) -> dict:
        obj["spec"]["template"] = template
        obj["metadata"]["annotations"] = target["metadata"]["annotations"]
        obj["metadata"]["annotations"].pop(du.ROLLBACK_TO, None)
        return obj

    sync.d = sync.api.update_with("deployments", sync.namespace, sync.d["metadata"]["name"], put)
    return True


def _clear_rollback_to(sync: DeploymentSync) -> None:
    def put(obj: dict) -> dict:
        (obj["metadata"].get("annotations") or {}).pop(du.ROLLBACK_TO, None)
        return obj

    sync.d = sync.api.update_with("deployments", sync.namespace, sync.d["metadata"]["name"], put)
