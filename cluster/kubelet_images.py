"""The kubelet's image pulls for a pod's containers (kuberuntime_image.go EnsureImageExists, the image back-off).

By the container's imagePullPolicy: `Never` uses the node's image or waits as ErrImageNeverPull;
`IfNotPresent` pulls only an image the node does not have; `Always` asks the registry every time
(a fraction of a second for an image the node has). A pull records Pulling, takes the image's size
at a seeded 25-60 MB/s (cluster/runtime.py), and records Pulled with the time it took and the
size. A pull that fails (no such image or tag, cluster/registry.py) is ErrImagePull, retried with
the image back-off (10 s doubling to 5 minutes, cluster/kubelet_backoff.py) as ImagePullBackOff in
between.

Simplified: containers that want an image being pulled wait for the same pull; credentials
(imagePullSecrets) are not checked.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster.events import NORMAL, WARNING
from cluster.kubelet_backoff import PLEG_RELIST_PERIOD, backoff, backoff_resync, go_duration
from cluster.registry import PullError, resolve
from cluster.runtime import ImageRef, parse_image

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync


def ensure_image(sync: PodSync, container: dict, record_: dict | None) -> dict | None:
    """None when the image is on the node; else the container's waiting state."""
    image, name = container["image"], container["name"]
    ref = parse_image(image)
    policy = container.get("imagePullPolicy", "IfNotPresent")
    present = sync.runtime.image(ref) is not None
    pull = sync.runtime.pull(ref)
    if pull is None and policy == "Never" and not present:
        message = f'Container image "{image}" is not present with pull policy of Never'
        sync.event(WARNING, "ErrImageNeverPull", message, name)
        return {"reason": "ErrImageNeverPull", "message": message}
    if pull is None and (policy == "Never" or (policy == "IfNotPresent" and present)):
        sync.event(NORMAL, "Pulled", f'Container image "{image}" already present on machine', name)
        return None
    if pull is None:
        return begin_pull(sync, container, ref, present)
    ready_at = dt.datetime.fromisoformat(pull["ready_at"])
    if sync.now < ready_at:
        sync.wake_at(ready_at)
        return {"reason": "ContainerCreating"}
    done = sync.runtime.finish_pull(ref)
    sync.runtime.data.setdefault("pull_failures", {}).pop(f"{sync.uid}/{name}", None)
    seconds = go_duration(done["seconds"])
    sync.event(
        NORMAL,
        "Pulled",
        f'Successfully pulled image "{image}" in {seconds} ({seconds} including '
        f"waiting). Image size: {done['size']} bytes.",
        name,
    )
    return None


def begin_pull(sync: PodSync, container: dict, ref: ImageRef, present: bool) -> dict:
    image, name = container["image"], container["name"]
    try:
        size, message = resolve(sync.api.cluster, ref), ""
    except PullError as err:
        size, message = 0, str(err)
    failures = sync.runtime.data.setdefault("pull_failures", {})
    failed = failures.get(f"{sync.uid}/{name}")
    if message and failed:
        retry_at = dt.datetime.fromisoformat(failed["last"]) + dt.timedelta(seconds=backoff(failed["count"]))
        if sync.now < retry_at:
            sync.wake_at(min(retry_at, sync.now + backoff_resync(sync.uid, sync.now)))
            sync.event(NORMAL, "BackOff", f'Back-off pulling image "{image}"', name)
            sync.event(WARNING, "Failed", "Error: ImagePullBackOff", name)
            return {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
    sync.hop("PullImage", image=image)
    sync.event(NORMAL, "Pulling", f'Pulling image "{image}"', name)
    if message:
        count = (failed or {}).get("count", 0) + 1
        failures[f"{sync.uid}/{name}"] = {"count": count, "last": sync.now.isoformat()}
        sync.runtime.dirty = True
        sync.event(WARNING, "Failed", f'Failed to pull image "{image}": {message}', name)
        sync.event(WARNING, "Failed", "Error: ErrImagePull", name)
        # The kubelet syncs the pod again shortly (PLEG sees its new sandbox; on a retry,
        # the pod worker requeues it) and finds the pull backing off: ImagePullBackOff.
        sync.wake_at(sync.now + dt.timedelta(seconds=PLEG_RELIST_PERIOD))
        return {"reason": "ErrImagePull", "message": message}
    pull = sync.runtime.start_pull(ref, size, sync.now, cached=present)
    sync.wake_at(dt.datetime.fromisoformat(pull["ready_at"]))
    return {"reason": "ContainerCreating"}
