"""A container's stdin, as containerd holds it for a container that asked for one (`stdin: true`).

`kubectl run -it … -- sh` starts a shell that reads its commands from stdin, and `kubectl attach -i` types
into it (cluster/apiserver/streams/remotecommand.py runs the typed commands in the container). When the
attached user ends the input (`exit 3`, or Ctrl-D), the container's own shell exits with that status:
the session notes it here, and the kubelet, which looks at such a waiting shell every relist period as
the PLEG relists containers, ends the process then (kubelet_pods.py), so the pod completes or restarts
by its restartPolicy, and `kubectl run --rm` sees it finish.

A RuntimeState row per container instance (scope `stdin`), gone with the pod's other runtime rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.container.pods import node_data
from cluster.models import Cluster, RuntimeState

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

SCOPE = "stdin"


def close(cluster: Cluster, key: str, at: float, code: int) -> None:
    """The attached client ended the input at virtual time `at`; the shell's last status was `code`."""
    RuntimeState.objects.update_or_create(
        cluster=cluster, scope=SCOPE, name=key, defaults={"data": {"at": at, "code": code}}
    )


def end_input(api: APIServer, pod: dict, container: str, code: int) -> None:
    """The attached client ended the input of `container` in `pod` now (its shell's last status `code`)."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    record = (node_data(api.cluster, node).get("containers") or {}).get(f"{pod['metadata']['uid']}/{container}")
    if record is not None:
        close(api.cluster, record["key"], api.now().timestamp(), code)


def ended(cluster: Cluster, key: str) -> tuple[float, int] | None:
    """(when, status) if the input of the container instance `key` has been ended."""
    data = RuntimeState.objects.filter(cluster=cluster, scope=SCOPE, name=key).values_list("data", flat=True).first()
    return (float(data["at"]), int(data["code"])) if data else None
