"""`kubectl expose TYPE NAME --port=P`: a Service for a Pod, Deployment, ReplicaSet or Service.

Built as kubectl's expose command builds it (pkg/cmd/expose): the selector is
the object's (a workload's matchLabels, a Pod's labels), the labels are the
object's own labels, the ports come from `--port` or else from the container
ports, and `targetPort` defaults to the port. Prints `service/web exposed`.
"""

from __future__ import annotations

from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import OUTPUT_FLAGS, print_result, with_namespace
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, named_targets

EXPOSABLE = ("Pod", "Service", "Deployment", "ReplicaSet")
EXPOSE_FLAGS = (
    Flag("port", "string", ""),
    Flag("target-port", "string", ""),
    Flag("type", "string", ""),
    Flag("name", "string", ""),
    Flag("protocol", "string", ""),
    Flag("labels", "string", "", "l"),
    Flag("selector", "string", ""),
    Flag("cluster-ip", "string", ""),
    Flag("external-ip", "string", ""),
    Flag("session-affinity", "string", ""),
)


@verb("expose")
def expose(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("filename", *OUTPUT_FLAGS, extra=EXPOSE_FLAGS))
        if not parsed.positional:
            raise UsageError(RESOURCE_HINT)
        targets = named_targets(ctx, parsed.positional)
        if any(not t.name for t in targets):
            raise UsageError("resource(s) were provided, but no name was specified")
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def act(target: Target) -> None:
        if target.rt.kind not in EXPOSABLE:
            group = f".{target.rt.group}" if target.rt.group else ""
            raise UsageError(f"cannot expose a {target.rt.kind}{group}")
        source = ctx.api.get(target.rt, target.namespace, target.name)
        service = build_service(source, parsed)
        if parsed.text("dry-run") == "client":
            if ctx.namespace_explicit:
                service["metadata"] = with_namespace(service["metadata"], ctx.namespace)
            print_result(ctx, parsed, service, f"service/{service['metadata']['name']} exposed")
            return
        created = ctx.api.create("services", target.namespace, service, dry_run=parsed.text("dry-run") == "server")
        print_result(ctx, parsed, created, f"service/{created['metadata']['name']} exposed")

    return for_each(ctx, targets, act)


def build_service(source: dict, parsed: Parsed) -> dict:
    selector = _parse_labels(parsed.text("selector")) if parsed.text("selector") else _selector(source)
    ports_text = parsed.text("port") or ",".join(_ports(source))
    if not ports_text and parsed.text("cluster-ip") != "None":
        raise UsageError("couldn't find port via --port flag or introspection")
    protocols = _protocols(source)
    ports = []
    texts = [p for p in ports_text.split(",") if p]
    for index, text in enumerate(texts):
        if not text.isdigit():
            raise UsageError(f'strconv.Atoi: parsing "{text}": invalid syntax')
        port: dict = {"protocol": parsed.text("protocol") or protocols.get(text, "TCP"), "port": int(text)}
        if len(texts) > 1:
            port = {"name": f"port-{index + 1}", **port}
        target = parsed.text("target-port")
        port["targetPort"] = (int(target) if target.isdigit() else target) if target else int(text)
        ports.append(port)
    labels = (
        _parse_labels(parsed.text("labels")) if parsed.text("labels") else dict(source["metadata"].get("labels") or {})
    )
    spec: dict = {"ports": ports, "selector": selector}
    if parsed.text("type"):
        spec["type"] = parsed.text("type")
    if parsed.text("cluster-ip"):
        spec["clusterIP"] = parsed.text("cluster-ip")
    if parsed.text("external-ip"):
        spec["externalIPs"] = [parsed.text("external-ip")]
    if parsed.text("session-affinity"):
        spec["sessionAffinity"] = parsed.text("session-affinity")
    metadata: dict = {"name": parsed.text("name") or source["metadata"]["name"][:63], "creationTimestamp": None}
    if labels:
        metadata["labels"] = labels
    return {"kind": "Service", "apiVersion": "v1", "metadata": metadata, "spec": spec, "status": {"loadBalancer": {}}}


def _selector(source: dict) -> dict:
    kind = source["kind"]
    if kind == "Pod":
        selector = dict(source["metadata"].get("labels") or {})
    elif kind == "Service":
        selector = dict(source["spec"].get("selector") or {})
    else:
        label_selector = source["spec"].get("selector") or {}
        if label_selector.get("matchExpressions"):
            raise UsageError(
                "couldn't retrieve selectors via --selector flag or introspection: couldn't convert "
                "expressions to map-based selector format"
            )
        selector = dict(label_selector.get("matchLabels") or {})
    if not selector:
        raise UsageError(
            f"couldn't retrieve selectors via --selector flag or introspection: the {kind.lower()} has no labels"
        )
    return selector


def _pod_spec(source: dict) -> dict:
    return source["spec"] if source["kind"] == "Pod" else (source["spec"].get("template") or {}).get("spec") or {}


def _ports(source: dict) -> list[str]:
    if source["kind"] == "Service":
        return [str(p["port"]) for p in source["spec"].get("ports") or []]
    return [str(p["containerPort"]) for c in _pod_spec(source).get("containers") or [] for p in c.get("ports") or []]


def _protocols(source: dict) -> dict[str, str]:
    if source["kind"] == "Service":
        return {str(p["port"]): p.get("protocol", "TCP") for p in source["spec"].get("ports") or []}
    return {
        str(p["containerPort"]): p.get("protocol", "TCP")
        for c in _pod_spec(source).get("containers") or []
        for p in c.get("ports") or []
    }


def _parse_labels(text: str) -> dict[str, str]:
    labels = {}
    for pair in text.split(","):
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"invalid label spec: {pair}")
        labels[key] = value
    return labels
