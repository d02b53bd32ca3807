"""`kubectl run NAME --image=I`: one Pod, built as kubectl's run command builds it (pkg/cmd/run).

The Pod gets the label `run=NAME` (or `--labels`), one container named after
the Pod, `resources: {}`, `restartPolicy` from `--restart` and
`dnsPolicy: ClusterFirst`. Words after `--` are the container's args (its
command with `--command`). `--expose` creates a ClusterIP Service on `--port` first, selecting the pod's
labels. `--overrides` changes the generated Pod before it is sent: a JSON merge patch,
or a strategic merge patch or JSON patch by `--override-type`. `-i`/`-t`/`--attach`/`--rm` give the container
stdin (and a tty) and attach to it, as kubectl does with an empty stdin that is
not a terminal (run_attach.py): the page's terminal has nothing to type with.
"""

from __future__ import annotations

from cluster import decoding
from cluster.apiserver import gojson, patch, strategic
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from cluster.kubectl import flags as fl
from cluster.kubectl import run_attach
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import OUTPUT_FLAGS, CommandUsage, print_result, with_namespace
from cluster.kubectl.flags import Flag, Parsed, UsageError

RUN_FLAGS = (
    Flag("image", "string", ""),
    Flag("port", "string", ""),
    Flag("labels", "string", "", "l"),
    Flag("env", "list"),
    Flag("annotations", "list"),
    Flag("restart", "string", "Always"),
    Flag("command", "bool", False),
    Flag("image-pull-policy", "string", ""),
    Flag("stdin", "bool", False, "i"),
    Flag("tty", "bool", False, "t"),
    Flag("attach", "bool", False),
    Flag("rm", "bool", False),
    Flag("pod-running-timeout", "string", "1m0s"),
    Flag("overrides", "string", ""),
    Flag("override-type", "string", "merge"),
    Flag("expose", "bool", False),
    Flag("request-timeout", "string", "0"),  # kubectl's global flag; the page bounds `run -i` with it
)


@verb("run")
def run(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags(*OUTPUT_FLAGS, extra=RUN_FLAGS))
        fl.require(parsed, "image")
        # -i attaches unless --attach says otherwise
        attached = bool(parsed["attach"] if "attach" in parsed.given else parsed["stdin"])
        if parsed["rm"] and not attached:
            raise CommandUsage("--rm should only be used for attached containers", "run")
        if attached and parsed.text("dry-run") in ("client", "server"):
            raise CommandUsage(
                "--dry-run=[server|client] can't be used with attached containers options "
                "(--attach, --stdin, or --tty)",
                "run",
            )
        extra: list[str] = []
        if parsed.dash_at >= 0:
            parsed.positional, extra = parsed.positional[: parsed.dash_at], parsed.positional[parsed.dash_at :]
        if not parsed.positional:
            raise CommandUsage("NAME is required for run", "run")
        if parsed["expose"] and not parsed.text("port"):
            raise CommandUsage("--port must be set when exposing a service", "run")
        pod = build_pod(parsed.positional[0], parsed, extra)
        if parsed.text("overrides"):
            pod = override(pod, parsed.text("overrides"), parsed.text("override-type"))
        if parsed["expose"]:
            expose(ctx, parsed, build_service(parsed.positional[0], parsed))
        if parsed.text("dry-run") == "client":
            if ctx.namespace_explicit:
                pod["metadata"] = with_namespace(pod["metadata"], ctx.namespace)
            print_result(ctx, parsed, pod, f"pod/{pod['metadata']['name']} created")
            return 0
        created = ctx.api.create("pods", ctx.namespace, pod, dry_run=parsed.text("dry-run") == "server")
        if attached:
            return run_attach.attach(
                ctx, created, bool(parsed["tty"]), bool(parsed["rm"]), parsed.text("pod-running-timeout")
            )
        print_result(ctx, parsed, created, f"pod/{created['metadata']['name']} created")
        return 0
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    except StatusError as err:
        ctx.stderr.write(f"Error from server ({err.reason}): {err.message}\n")
        return 1


def build_pod(name: str, parsed: Parsed, extra: list[str]) -> dict:
    restart = parsed.text("restart")
    if restart not in ("Always", "OnFailure", "Never"):
        raise UsageError(f"invalid restart policy: {restart}")
    container: dict = {"name": name, "image": parsed.text("image")}
    if extra:
        container["command" if parsed["command"] else "args"] = extra
    if parsed.text("port"):
        if not parsed.text("port").isdigit():
            raise UsageError(f'strconv.Atoi: parsing "{parsed.text("port")}": invalid syntax')
        container["ports"] = [{"containerPort": int(parsed.text("port"))}]
    env = [_env(item) for item in parsed.many("env")]
    if env:
        container["env"] = env
    container["resources"] = {}
    if parsed["stdin"]:
        container.update(stdin=True, stdinOnce=True)
    if parsed["tty"]:
        container["tty"] = True
    if parsed.text("image-pull-policy"):
        container["imagePullPolicy"] = parsed.text("image-pull-policy")
    meta: dict = {"name": name, "creationTimestamp": None, "labels": _labels(name, parsed.text("labels"))}
    annotations = _annotations(parsed.many("annotations"))
    if annotations:
        meta = {"annotations": annotations, **meta}  # kubectl's YAML puts them first
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
        "status": {},
    }


def build_service(name: str, parsed: Parsed) -> dict:
    """`--expose`: kubectl's ClusterIP Service for the pod, selecting its labels, on --port (ServiceGeneratorV2)."""
    labels = _labels(name, parsed.text("labels"))
    meta: dict = {"name": name, "creationTimestamp": None}
    if parsed.text("labels"):
        meta["labels"] = dict(labels)
    port = int(parsed.text("port"))
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": {"ports": [{"protocol": "TCP", "port": port, "targetPort": port}], "selector": labels},
        "status": {"loadBalancer": {}},
    }


def expose(ctx: Context, parsed: Parsed, service: dict) -> None:
    """The Service first, as kubectl creates and prints it before the pod (its YAML printer then writes two
    document separators)."""
    if parsed.text("dry-run") != "client":
        service = ctx.api.create("services", ctx.namespace, service, dry_run=parsed.text("dry-run") == "server")
    elif ctx.namespace_explicit:
        service["metadata"] = with_namespace(service["metadata"], ctx.namespace)
    print_result(ctx, parsed, service, f"service/{service['metadata']['name']} created")
    if parsed.text("output") == "yaml":
        ctx.stdout.write("---\n---\n")


def override(pod: dict, text: str, kind: str) -> dict:
    """OverrideOptions.Apply: the generated Pod with the overrides applied, as kubectl decodes it again into a
    typed Pod (every container keeps a `resources` object)."""
    if kind not in ("json", "merge", "strategic"):
        raise UsageError(f"invalid override type: {kind}")
    syntax = gojson.syntax_error(text.encode())
    if syntax:
        raise UsageError(syntax if kind == "json" else "Invalid JSON Patch")
    try:
        body = decoding.load_json(text)  # bounded depth, no lone surrogates, as every body the API takes
    except decoding.DecodeError as err:
        raise UsageError(str(err)) from None
    if kind == "json":
        if not isinstance(body, list):
            raise UsageError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        try:
            patched = patch.apply_json_patch(pod, body)
        except StatusError as err:
            raise UsageError(err.message) from None
    else:
        if not isinstance(body, dict):
            raise UsageError("Invalid JSON Patch")
        patched = patch.merge_patch(pod, body) if kind == "merge" else strategic.apply(lookup("pods"), pod, body)
    if not isinstance(patched, dict):
        raise UsageError("Object 'Kind' is missing in 'null'")
    for container in (patched.get("spec") or {}).get("containers") or []:
        if isinstance(container, dict):
            container.setdefault("resources", {})
    return patched


def _annotations(items: list[str]) -> dict[str, str]:
    """--annotations key=value, repeatable; the value is the rest of the word, commas and all."""
    annotations = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid annotations format: {item}")
        annotations[key] = value
    return annotations


def _labels(name: str, text: str) -> dict[str, str]:
    if not text:
        return {"run": name}
    labels = {}
    for pair in text.split(","):
        key, eq, value = pair.partition("=")
        if not eq:
            raise UsageError(f"invalid label spec: {pair}")
        labels[key] = value
    return labels


def _env(item: str) -> dict[str, str]:
    key, eq, value = item.partition("=")
    if not eq:
        raise UsageError(f"invalid env: {item}")
    return {"name": key, "value": value}
