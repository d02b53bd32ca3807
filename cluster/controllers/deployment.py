"""kube-controller-manager's deployment controller (pkg/controller/deployment).

A Deployment owns ReplicaSets named `<deployment>-<pod-template-hash>`; the one
whose template equals the Deployment's is the new ReplicaSet, the rest are old.
Each sync adopts and releases ReplicaSets by selector, keeps the revision
annotations, then either scales (paused, or replicas changed: proportional
scaling), rolls back (the deprecated rollback annotation), or rolls out
(RollingUpdate or Recreate, in deployment_rollout.py), and finally writes
status and the Progressing / Available conditions.

As upstream, a sync reads through listers (the shared informers' caches) and
writes through the API server, and the deployment controller keeps no
expectations (the ReplicaSet controller does); the rollout arithmetic, messages
and event reasons are upstream's.
"""

from __future__ import annotations

import copy
from typing import Sequence

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers import deployment_rollback as rollback
from cluster.controllers import deployment_rollout as rollout
from cluster.controllers import deployment_util as du
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import (
    POD_TEMPLATE_HASH,
    by_creation,
    compute_hash,
    controller_of,
    equal_ignore_hash,
    is_being_deleted,
    new_controller_ref,
    replicas_of,
    selector_matches,
    sort_by_size_newer,
    sort_by_size_older,
)
from cluster.events import NORMAL, WARNING, record
from cluster.informers import Lister

COMPONENT = "deployment-controller"


class DeploymentSync:
    """One syncDeployment pass over one Deployment; `d` is always the latest copy written."""

    def __init__(self, api: APIServer, deployment: dict, lister: Lister | None = None) -> None:
        self.api = api
        self.lister = lister or Lister(api)
        self.d = deployment
        self.requeue_after: float | None = None

    @property
    def namespace(self) -> str:
        return self.d["metadata"]["namespace"]

    def now(self):
        return self.api.now()

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.d, type_, reason, message, COMPONENT)

    def requeue(self, seconds: float) -> None:
        if self.requeue_after is None or seconds < self.requeue_after:
            self.requeue_after = seconds

    # -- writes ---------------------------------------------------------------
    def update_status(self, status: dict) -> None:
        clean = du.clean_status(status)
        if clean == du.clean_status(self.d.get("status") or {}):
            return

        def put(obj: dict) -> dict:
            obj["status"] = clean
            return obj

        self.d = self.api.update_with(
            "deployments", self.namespace, self.d["metadata"]["name"], put, subresource="status"
        )

    def set_revision(self, value: int | str) -> None:
        """SetDeploymentRevision, written at once (upstream carries it with the next status update)."""
        text = str(value)
        if (self.d["metadata"].get("annotations") or {}).get(du.REVISION) == text:
            return

        def put(obj: dict) -> dict:
            du.annotations(obj)[du.REVISION] = text
            return obj

        self.d = self.api.update_with("deployments", self.namespace, self.d["metadata"]["name"], put)

    def update_replica_set(self, rs: dict, replicas: int | None = None) -> dict:
        """Write a ReplicaSet's annotations, minReadySeconds and (optionally) replicas."""
        notes = dict(rs["metadata"].get("annotations") or {})
        min_ready = du.min_ready_seconds(rs)

        def put(obj: dict) -> dict:
            obj["metadata"]["annotations"] = notes
            if min_ready:
                obj["spec"]["minReadySeconds"] = min_ready
            else:
                obj["spec"].pop("minReadySeconds", None)
            if replicas is not None:
                obj["spec"]["replicas"] = replicas
            return obj

        return self.api.update_with("replicasets", self.namespace, rs["metadata"]["name"], put)

    def scale_replica_set(self, rs: dict, new_scale: int) -> tuple[bool, dict]:
        """scaleReplicaSet: set replicas and the replica annotations; a size change is a ScalingReplicaSet event."""
        replicas, surge = du.spec_replicas(self.d), du.max_surge(self.d)
        size_changed = replicas_of(rs) != new_scale
        if not size_changed and not du.replicas_annotations_need_update(rs, replicas, replicas + surge):
            return False, rs
        old_scale = replicas_of(rs)
        rs_copy = copy.deepcopy(rs)
        du.set_replicas_annotations(rs_copy, replicas, replicas + surge)
        updated = self.update_replica_set(rs_copy, new_scale)
        if size_changed:
            direction = "up" if old_scale < new_scale else "down"
            self.event(
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old_scale} to {new_scale}",
            )
        return size_changed, updated

    def scale_replica_set_and_record_event(self, rs: dict, new_scale: int) -> tuple[bool, dict]:
        if replicas_of(rs) == new_scale:
            return False, rs
        return self.scale_replica_set(rs, new_scale)

    # -- the replica sets of this deployment --------------------------------------
    def replica_sets(self) -> list[dict]:
        """getReplicaSetsForDeployment: adopt matching orphans, release owned ones that stopped matching."""
        return claim(self.api, self.d, "replicasets", self.lister.list("replicasets", self.namespace))

    def pod_map(self, rss: list[dict]) -> dict[str, list[dict]]:
        """getPodMapForDeployment: the deployment's pods grouped by the ReplicaSet controlling them."""
        by_uid: dict[str, list[dict]] = {rs["metadata"]["uid"]: [] for rs in rss}
        for pod in self.lister.list("pods", self.namespace):
            ref = controller_of(pod)
            if (
                ref
                and ref.get("uid") in by_uid
                and selector_matches(self.d["spec"].get("selector"), pod["metadata"].get("labels"))
            ):
                by_uid[ref["uid"]].append(pod)
        return by_uid

    # -- new and old replica sets -------------------------------------------------
    def all_replica_sets(self, rss: list[dict], create: bool) -> tuple[dict | None, list[dict]]:
        """getAllReplicaSetsAndSyncRevision: (new ReplicaSet or None, old ReplicaSets)."""
        existing = du.find_new_replica_set(self.d, rss)
        old = du.find_old_replica_sets(self.d, rss, existing)
        return self.new_replica_set(existing, old, create), old

    def new_replica_set(self, existing: dict | None, old_rss: list[dict], create: bool) -> dict | None:
        new_revision = du.max_revision(old_rss) + 1
        if existing is not None:
            return self._sync_existing_new(existing, new_revision)
        if not create:
            return None
        return self._create_new(old_rss, new_revision)

    def _sync_existing_new(self, existing: dict, new_revision: int) -> dict:
        rs_copy = copy.deepcopy(existing)
        annotations_changed = du.set_new_replica_set_annotations(self.d, rs_copy, new_revision, True)
        if annotations_changed or du.min_ready_seconds(rs_copy) != du.min_ready_seconds(self.d):
            rs_copy.setdefault("spec", {})["minReadySeconds"] = du.min_ready_seconds(self.d)
            return self.update_replica_set(rs_copy)
        self.set_revision(du.annotations(rs_copy).get(du.REVISION, ""))
        status = copy.deepcopy(self.d.get("status") or {})
        if du.progress_deadline(self.d) is not None and du.get_condition(status, "Progressing") is None:
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing",
                    "True",
                    du.FOUND_NEW_RS,
                    f'Found new replica set "{rs_copy["metadata"]["name"]}"',
                    self.now(),
                ),
            )
            self.update_status(status)
        return rs_copy

    def _new_replica_set_object(self, old_rss: list[dict]) -> dict:
        d = self.d
        template = copy.deepcopy(d["spec"].get("template") or {})
        pod_hash = compute_hash(template, (d.get("status") or {}).get("collisionCount"))
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[POD_TEMPLATE_HASH] = pod_hash
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
        spec = {"replicas": 0, "selector": selector, "template": template}
        if du.min_ready_seconds(d):
            spec["minReadySeconds"] = du.min_ready_seconds(d)
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{pod_hash}",
                "namespace": self.namespace,
                "labels": dict(labels),
                "ownerReferences": [new_controller_ref(d)],
            },
            "spec": spec,
        }

    def _create_new(self, old_rss: list[dict], new_revision: int) -> dict | None:
        new_rs = self._new_replica_set_object(old_rss)
        new_replicas = du.new_rs_new_replicas(self.d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = new_replicas
        du.set_new_replica_set_annotations(self.d, new_rs, new_revision, False)
        name = new_rs["metadata"]["name"]
        already_exists = False
        created: dict | None
        try:
            created = self.api.create("replicasets", self.namespace, new_rs)
        except StatusError as err:
            if err.reason == "AlreadyExists":
                created = self._existing_or_collision(name)
                if created is None:
                    return None
                already_exists = True
            elif err.code == 403 and "being terminated" in str(err.message):
                return None
            else:
                self._create_failed(name, err)
                return None
        if not already_exists and new_replicas > 0:
            self.event(NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {new_replicas}")
        self.set_revision(new_revision)
        if not already_exists and du.progress_deadline(self.d) is not None:
            status = copy.deepcopy(self.d.get("status") or {})
            du.set_condition(
                status,
                du.new_condition(
                    "Progressing", "True", du.NEW_RS_CREATED, f'Created new replica set "{name}"', self.now()
                ),
            )
            self.update_status(status)
        return created

    def _existing_or_collision(self, name: str) -> dict | None:
        """The name is taken: ours (a stale read) or a hash collision, which bumps collisionCount."""
        rs = self.api.get("replicasets", self.namespace, name)
        ref = controller_of(rs)
        if (
            ref
            and ref.get("uid") == self.d["metadata"]["uid"]
            and equal_ignore_hash(self.d["spec"].get("template"), rs["spec"].get("template"))
        ):
            return rs
        status = copy.deepcopy(self.d.get("status") or {})
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.update_status(status)
        self.requeue(0)
        return None

    def _create_failed(self, name: str, err: StatusError) -> None:
        message = f'Failed to create new replica set "{name}": {err.message}'
        if du.progress_deadline(self.d) is not None:
            status = copy.deepcopy(self.d.get("status") or {})
            du.set_condition(status, du.new_condition("Progressing", "False", du.FAILED_RS_CREATE, message, self.now()))
            self.update_status(status)
        self.event(WARNING, du.FAILED_RS_CREATE, message)

    # -- scaling (sync.go) --------------------------------------------------------
    def sync(self, rss: list[dict]) -> None:
        """Scale without rolling out: paused deployments and replica count changes."""
        new_rs, old_rss = self.all_replica_sets(rss, create=False)
        self.scale(new_rs, old_rss)
        self.cleanup(old_rss)
        self.sync_status(old_rss + [new_rs], new_rs)

    def scale(self, new_rs: dict | None, old_rss: list[dict]) -> None:
        replicas = du.spec_replicas(self.d)
        latest = du.find_active_or_latest(new_rs, old_rss)
        if latest is not None:
            if replicas_of(latest) != replicas:
                self.scale_replica_set_and_record_event(latest, replicas)
            return
        if du.is_saturated(self.d, new_rs):
            for old in du.active(old_rss):
                self.scale_replica_set_and_record_event(old, 0)
            return
        if du.is_rolling_update(self.d):
            self._scale_proportionally(new_rs, old_rss)

    def _scale_proportionally(self, new_rs: dict | None, old_rss: list[dict]) -> None:
        """Spread a replica change over every active ReplicaSet in proportion to its size."""
        all_rss = du.active(old_rss + [new_rs])
        replicas = du.spec_replicas(self.d)
        allowed = replicas + du.max_surge(self.d) if replicas > 0 else 0
        to_add = allowed - du.spec_replica_count(all_rss)
        if to_add > 0:
            all_rss = sort_by_size_newer(all_rss)
        elif to_add < 0:
            all_rss = sort_by_size_older(all_rss)
        added, sizes = 0, {}
        for rs in all_rss:
            proportion = du.replica_set_proportion(rs, self.d, to_add, added) if to_add else 0
            sizes[rs["metadata"]["name"]] = replicas_of(rs) + proportion
            added += proportion
        for index, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if index == 0 and to_add != 0:
                sizes[name] = max(0, sizes[name] + to_add - added)
            self.scale_replica_set(rs, sizes[name])

    def is_scaling_event(self, rss: list[dict]) -> bool:
        new_rs, old_rss = self.all_replica_sets(rss, create=False)
        for rs in du.active(old_rss + [new_rs]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != du.spec_replicas(self.d):
                return True
        return False

    def cleanup(self, old_rss: list[dict]) -> None:
        """cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit."""
        limit = du.revision_history_limit(self.d)
        if limit is None:
            return
        alive = [rs for rs in old_rss if not is_being_deleted(rs)]
        surplus = len(alive) - limit
        if surplus <= 0:
            return
        for rs in sorted(alive, key=lambda r: (du.revision(r), by_creation(r)))[:surplus]:
            status = rs.get("status") or {}
            if (
                status.get("replicas", 0) != 0
                or replicas_of(rs) != 0
                or rs["metadata"].get("generation", 0) > status.get("observedGeneration", 0)
            ):
                continue
            try:
                self.api.delete("replicasets", self.namespace, rs["metadata"]["name"])
            except StatusError as err:
                if err.code != 404:
                    raise

    def sync_status(self, all_rss: Sequence[dict | None], new_rs: dict | None) -> None:
        """syncDeploymentStatus: status without touching the Progressing condition."""
        self.update_status(rollout.calculate_status(self, all_rss, new_rs))

    def check_paused_conditions(self) -> None:
        if du.progress_deadline(self.d) is None:
            return
        status = copy.deepcopy(self.d.get("status") or {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return
        paused_recorded = cond is not None and cond.get("reason") == du.PAUSED
        paused = bool(self.d["spec"].get("paused"))
        if paused and not paused_recorded:
            du.set_condition(
                status, du.new_condition("Progressing", "Unknown", du.PAUSED, "Deployment is paused", self.now())
            )
        elif not paused and paused_recorded:
            du.set_condition(
                status, du.new_condition("Progressing", "Unknown", du.RESUMED, "Deployment is resumed", self.now())
            )
        else:
            return
        self.update_status(status)


class DeploymentController(Controller):
    name = "deployment-controller"
    watches = ("deployments", "replicasets", "pods")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace", "default")
        if resource == "deployments":
            return [f"{namespace}/{meta['name']}"]
        if resource == "replicasets":
            return self._keys_for_replica_set(obj)
        if resource == "pods" and event.type == "DELETED":
            ref = controller_of(obj)
            if ref and ref.get("kind") == "ReplicaSet":
                rs = self.lister.find("replicasets", namespace, ref["name"])
                return self._keys_for_replica_set(rs) if rs is not None else []
        return []

    def _keys_for_replica_set(self, rs: dict) -> list[str]:
        namespace = rs["metadata"].get("namespace", "default")
        ref = controller_of(rs)
        if ref is not None:
            return [f"{namespace}/{ref['name']}"] if ref.get("kind") == "Deployment" else []
        labels = rs["metadata"].get("labels")
        return [
            f"{namespace}/{d['metadata']['name']}"
            for d in self.lister.list("deployments", namespace)
            if selector_matches(d["spec"].get("selector"), labels)
        ]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        deployment = self.lister.find("deployments", namespace, name)
        if deployment is None:
            return DONE
        sync = DeploymentSync(self.api, deployment, self.lister)
        sync_deployment(sync)  # a stale read's 409 propagates: the driver's rate-limited queue looks again
        return Result(requeue_after=sync.requeue_after)


def sync_deployment(sync: DeploymentSync) -> None:
    """syncDeployment: the branches upstream takes, in its order."""
    d = sync.d
    if d["spec"].get("selector") == {}:
        sync.event(WARNING, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
        if (d.get("status") or {}).get("observedGeneration", 0) < d["metadata"].get("generation", 0):
            sync.update_status({**(d.get("status") or {}), "observedGeneration": d["metadata"]["generation"]})
        return
    rss = sync.replica_sets()
    if is_being_deleted(d):
        new_rs, old_rss = sync.all_replica_sets(rss, create=False)
        sync.sync_status(old_rss + [new_rs], new_rs)
        return
    sync.check_paused_conditions()
    if sync.d["spec"].get("paused"):
        sync.sync(rss)
        return
    if rollback.rollback_revision(sync.d) is not None:
        rollback.rollback(sync, rss)
        return
    if sync.is_scaling_event(rss):
        sync.sync(rss)
        return
    if du.strategy_type(sync.d) == "Recreate":
        rollout.rollout_recreate(sync, rss, sync.pod_map(rss))
    else:
        rollout.rollout_rolling(sync, rss)
