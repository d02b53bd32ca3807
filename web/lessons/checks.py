"""The checks a lesson step can name, each read through the API server like any client.

A step's `check:` in lesson.yaml names one entry of CHECKS with its arguments,
for example `deployment_ready: {name: web, replicas: 3}`; `all: [...]` and
`any: [...]` combine several. A check answers whether the step is done and a
short, translated sentence about what it saw, which the page shows live and
the teacher's grid shows as the student's state.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cluster import podutil
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer


@dataclass(frozen=True)
class Result:
    passed: bool
    detail: str


@dataclass(frozen=True)
class Context:
    """What a check may know besides the cluster: the learner's own commands in this lesson."""

    commands: tuple[str, ...] = ()
    explored: tuple[str, ...] = ()  # components of the map the learner opened
    external_clients: tuple[str, ...] = ()  # User-Agents of clients that called over HTTP


@dataclass(frozen=True)
class Spec:
    name: str
    args: dict = field(default_factory=dict)
    parts: tuple[Spec, ...] = ()


Check = Callable[..., Result]
CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__] = fn
    return fn


def parse(raw: object, where: str) -> Spec:
    """`{name: {args}}` (or `{all: [...]}`) from lesson.yaml, its name and arguments verified."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"{where}: a check is one mapping entry, got {raw!r}")
    [(name, args)] = raw.items()
    if name in ("all", "any"):
        return Spec(name, {}, tuple(parse(part, where) for part in args))
    if name not in CHECKS:
        raise ValueError(f"{where}: unknown check {name!r}")
    args = dict(args or {})
    try:
        inspect.signature(CHECKS[name]).bind(None, None, **args)
    except TypeError as err:
        raise ValueError(f"{where}: check {name}: {err}") from None
    return Spec(name, args)


def evaluate(api: APIServer, spec: Spec, context: Context | None = None) -> Result:
    context = context or Context()
    if spec.name in ("all", "any"):
        results = [evaluate(api, part, context) for part in spec.parts]
        failing = [r for r in results if not r.passed]
        if spec.name == "all":
            return Result(not failing, (failing[0] if failing else results[-1]).detail)
        passing = [r for r in results if r.passed]
        return Result(bool(passing), (passing[0] if passing else results[0]).detail)
    try:
        return CHECKS[spec.name](api, context, **spec.args)
    except StatusError as err:
        return Result(False, err.message)


# -- helpers --------------------------------------------------------------------------
def _get(api: APIServer, resource: str, namespace: str, name: str) -> dict | None:
    try:
        return api.get(resource, namespace, name)
    except StatusError as err:
        if err.code == 404:
            return None
        raise


is_ready = podutil.is_ready  # the lessons ask what the endpoints controller asks


def pod_state(pod: dict) -> str:
    """The STATUS column of `kubectl get pods`, in its main cases."""
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return waiting["reason"]
    return (pod.get("status") or {}).get("phase", "Pending")


def pods_of(api: APIServer, selector: str, namespace: str | None) -> list[dict]:
    return api.list("pods", namespace, label_selector=selector or None)["items"]


def value_at(obj: object, path: str) -> object:
    """`spec.template.spec.containers[0].image` in an object; None where the path leads nowhere."""
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


# -- the checks -----------------------------------------------------------------------
@check
def nodes_ready(api: APIServer, context: Context, count: int | None = None) -> Result:
    nodes = api.list("nodes")["items"]
    ready = [
        n
        for n in nodes
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (n.get("status") or {}).get("conditions") or []
        )
    ]
    want = len(nodes) if count is None else count
    return Result(
        len(ready) == want and want > 0,
        _("%(ready)d of %(total)d nodes are Ready") % {"ready": len(ready), "total": len(nodes)},
    )


@check
def exists(api: APIServer, context: Context, resource: str, name: str, namespace: str = "default") -> Result:
    found = _get(api, resource, namespace, name) is not None
    return Result(
        found, (_("%(what)s exists") if found else _("%(what)s does not exist yet")) % {"what": f"{resource}/{name}"}
    )


@check
def absent(api: APIServer, context: Context, resource: str, name: str, namespace: str = "default") -> Result:
    gone = _get(api, resource, namespace, name) is None
    return Result(
        gone, (_("%(what)s is gone") if gone else _("%(what)s still exists")) % {"what": f"{resource}/{name}"}
    )


@check
def deployment_ready(
    api: APIServer,
    context: Context,
    name: str,
    replicas: int | None = None,
    image: str | None = None,
    namespace: str = "default",
) -> Result:
    deploy = _get(api, "deployments", namespace, name)
    if deploy is None:
        return Result(False, _("no Deployment %(name)s yet") % {"name": name})
    spec, status = deploy["spec"], deploy.get("status") or {}
    want = spec.get("replicas", 1) if replicas is None else replicas
    current_image = spec["template"]["spec"]["containers"][0].get("image", "")
    if image is not None and current_image != image:
        return Result(False, _("%(name)s runs %(image)s") % {"name": name, "image": current_image})
    settled = (
        status.get("observedGeneration", 0) >= deploy["metadata"].get("generation", 1)
        and status.get("updatedReplicas", 0) == want == spec.get("replicas", 1)
        and status.get("availableReplicas", 0) == want
        and status.get("replicas", 0) == want
    )
    # As `kubectl rollout status` counts: the replicas on the current template, then the available ones.
    counts = {
        "updated": status.get("updatedReplicas", 0),
        "available": status.get("availableReplicas", 0),
        "want": want,
        "name": name,
    }
    return Result(settled, _("%(updated)d of %(want)d replicas of %(name)s updated, %(available)d available") % counts)


@check
def pods(
    api: APIServer,
    context: Context,
    selector: str = "",
    namespace: str = "default",
    count: int | None = None,
    at_least: int | None = None,
    ready: bool | None = None,
    state: str | None = None,
    node: str | None = None,
) -> Result:
    """Pods matching `selector` (and `ready`, `state` — the STATUS column —, `node`) number `count` or more."""
    found = [
        p
        for p in pods_of(api, selector, namespace)
        if (ready is None or is_ready(p) == ready and not p["metadata"].get("deletionTimestamp"))
        and (state is None or pod_state(p) == state)
        and (node is None or (p.get("spec") or {}).get("nodeName") == node)
    ]
    n = len(found)
    if count is not None:
        passed = n == count
    else:
        passed = n >= (at_least if at_least is not None else 1)
    what = selector or _("any label")
    if state:
        detail = ngettext("%(n)d pod (%(what)s) is %(state)s", "%(n)d pods (%(what)s) are %(state)s", n)
    elif ready:
        detail = ngettext("%(n)d pod (%(what)s) is ready", "%(n)d pods (%(what)s) are ready", n)
    else:
        detail = ngettext("%(n)d pod (%(what)s)", "%(n)d pods (%(what)s)", n)
    return Result(passed, detail % {"n": n, "what": what, "state": state})


@check
def unschedulable(api: APIServer, context: Context, selector: str = "", namespace: str = "default") -> Result:
    """A pod matching `selector` waits unscheduled, with the scheduler's FailedScheduling event."""
    waiting = [
        p
        for p in pods_of(api, selector, namespace)
        if any(
            c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable"
            for c in (p.get("status") or {}).get("conditions") or []
        )
    ]
    if not waiting:
        return Result(False, _("no pod is waiting for a node"))
    names = {p["metadata"]["name"] for p in waiting}
    events = [
        e
        for e in api.list("events", namespace)["items"]
        if e.get("reason") == "FailedScheduling" and (e.get("involvedObject") or {}).get("name") in names
    ]
    if not events:
        return Result(False, _("a pod waits, but the scheduler has not said why yet"))
    return Result(True, _("Pending: %(message)s") % {"message": events[-1].get("message", "")})


@check
def event(
    api: APIServer,
    context: Context,
    reason: str,
    namespace: str | None = "default",
    object_prefix: str = "",
    at_least: int = 1,
) -> Result:
    """An Event with `reason` about an object whose name starts with `object_prefix`, seen `at_least` times."""
    matching = [
        e
        for e in api.list("events", namespace)["items"]
        if e.get("reason") == reason and (e.get("involvedObject") or {}).get("name", "").startswith(object_prefix)
    ]
    seen = sum(int(e.get("count") or 1) for e in matching)
    return Result(
        seen >= at_least,
        ngettext("event %(reason)s seen %(n)d time", "event %(reason)s seen %(n)d times", seen)
        % {"reason": reason, "n": seen},
    )


@check
def field_value(
    api: APIServer,
    context: Context,
    resource: str,
    name: str,
    path: str,
    equals: object = None,
    at_least: int | None = None,
    contains: str | None = None,
    namespace: str = "default",
) -> Result:
    obj = _get(api, resource, namespace, name)
    if obj is None:
        return Result(False, _("%(what)s does not exist yet") % {"what": f"{resource}/{name}"})
    value = value_at(obj, path)
    if equals is not None:
        passed = value == equals or str(value) == str(equals)
    elif at_least is not None:
        passed = isinstance(value, (int, float)) and value >= at_least
    elif contains is not None:
        passed = contains in str(value or "")
    else:
        passed = value not in (None, "", [], {})
    return Result(passed, f"{path}: {value if value is not None else '-'}")


@check
def endpoints(
    api: APIServer,
    context: Context,
    service: str,
    ready: int | None = None,
    at_least: int | None = None,
    not_ready: int | None = None,
    namespace: str = "default",
) -> Result:
    found = _get(api, "endpoints", namespace, service)
    subsets = (found or {}).get("subsets") or []
    addresses = sum(len(s.get("addresses") or []) for s in subsets)
    waiting = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    passed = found is not None
    if ready is not None:
        passed = passed and addresses == ready
    if at_least is not None:
        passed = passed and addresses >= at_least
    if not_ready is not None:
        passed = passed and waiting >= not_ready
    ready_text = ngettext("%(ready)d ready address", "%(ready)d ready addresses", addresses) % {"ready": addresses}
    return Result(
        passed,
        _("Service %(name)s: %(ready)s, %(waiting)d not ready")
        % {"name": service, "ready": ready_text, "waiting": waiting},
    )


@check
def node_state(
    api: APIServer,
    context: Context,
    name: str,
    ready: bool | None = None,
    taint: str | None = None,
    unschedulable: bool | None = None,
) -> Result:
    node = _get(api, "nodes", "", name)
    if node is None:
        return Result(False, _("node %(name)s does not exist") % {"name": name})
    condition: dict = next(
        (c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    taints = [t.get("key") for t in (node.get("spec") or {}).get("taints") or []]
    passed = True
    if ready is not None:
        passed = passed and (condition.get("status") == "True") == ready
    if taint is not None:
        passed = passed and taint in taints
    if unschedulable is not None:
        passed = passed and bool((node.get("spec") or {}).get("unschedulable")) == unschedulable
    state = {"True": "Ready", "False": "NotReady"}.get(condition.get("status", ""), "Unknown")
    return Result(
        passed,
        _("%(name)s is %(state)s; taints: %(taints)s")
        % {"name": name, "state": state, "taints": ", ".join(taints) or "-"},
    )


@check
def object_count(
    api: APIServer,
    context: Context,
    resource: str,
    equals: int | None = None,
    at_least: int | None = None,
    at_most: int | None = None,
    selector: str = "",
    namespace: str = "default",
) -> Result:
    """How many objects of `resource` (matching `selector`) exist: exactly `equals`, or within `at_least`/`at_most`.

    `namespace` is ignored for cluster-scoped resources such as persistentvolumes or nodes."""
    n = len(api.list(resource, namespace, label_selector=selector or None)["items"])
    passed = (
        (equals is None or n == equals) and (at_least is None or n >= at_least) and (at_most is None or n <= at_most)
    )
    return Result(passed, f"{resource}: {n}")


@check
def claim_bound(api: APIServer, context: Context, name: str, namespace: str = "default") -> Result:
    claim = _get(api, "persistentvolumeclaims", namespace, name)
    if claim is None:
        return Result(False, _("%(what)s does not exist yet") % {"what": f"persistentvolumeclaim/{name}"})
    phase = (claim.get("status") or {}).get("phase", "Pending")
    return Result(phase == "Bound", _("claim %(name)s is %(phase)s") % {"name": name, "phase": phase})


@check
def restarts(
    api: APIServer, context: Context, selector: str = "", at_least: int = 1, namespace: str = "default"
) -> Result:
    counts = [
        sum(int(s.get("restartCount") or 0) for s in (p.get("status") or {}).get("containerStatuses") or [])
        for p in pods_of(api, selector, namespace)
    ]
    most = max(counts, default=0)
    return Result(most >= at_least, ngettext("restarted %(n)d time", "restarted %(n)d times", most) % {"n": most})


@check
def hpa_scaled(api: APIServer, context: Context, name: str, above: int = 1, namespace: str = "default") -> Result:
    hpa = _get(api, "horizontalpodautoscalers", namespace, name)
    if hpa is None:
        return Result(False, _("%(what)s does not exist yet") % {"what": f"horizontalpodautoscaler/{name}"})
    status = hpa.get("status") or {}
    current = int(status.get("currentReplicas") or 0)
    desired = int(status.get("desiredReplicas") or 0)
    return Result(
        max(current, desired) > above,
        _("the autoscaler wants %(desired)d replicas (now %(current)d)") % {"desired": desired, "current": current},
    )


@check
def ran(api: APIServer, context: Context, command: str) -> Result:
    """The learner ran a command that starts with `command` (after `kubectl`) without an error."""
    wanted = command.removeprefix("kubectl ").split()
    done = any(line.removeprefix("kubectl ").split()[: len(wanted)] == wanted for line in context.commands)
    return Result(
        done, (_("you ran %(command)s") if done else _("run %(command)s in the terminal")) % {"command": command}
    )


@check
def outside_kubectl(api: APIServer, context: Context) -> Result:
    """A client from outside the page (a real kubectl, a client library) called this cluster's API."""
    seen = [agent for agent in context.external_clients if agent]
    return Result(
        bool(seen),
        (_("a client called the API: %(agent)s") % {"agent": seen[-1]})
        if seen
        else _("no request from outside the page yet"),
    )


@check
def explored(api: APIServer, context: Context, components: list[str]) -> Result:
    """The learner opened each of `components` on the map (click or Enter on its box)."""
    missing = [c for c in components if c not in context.explored]
    seen = len(components) - len(missing)
    return Result(
        not missing,
        _("you opened %(seen)d of %(total)d: still %(missing)s")
        % {"seen": seen, "total": len(components), "missing": ", ".join(missing)}
        if missing
        else _("you opened all %(total)d") % {"total": len(components)},
    )
