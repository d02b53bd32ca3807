"""`kubectl create`: from files (`-f`) or from kubectl's generators (pkg/cmd/create).

The generators build objects exactly as kubectl v1.32 does — the same labels,
selector, container name derived from the image, the empty `resources: {}`,
`strategy: {}` and `status: {}` kubectl sends — so what a learner sees with
`-o yaml` is what they would see on a real cluster. `--dry-run=client|server`
with `-o yaml|json|name` prints the object instead of creating it.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import klog_line
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.output import to_json, to_yaml
from cluster.kubectl.targets import Target, api_error, for_each, kind_name, load_files, resource_type

Builder = Callable[[Context, str, Parsed], dict]
OUTPUT_FLAGS = ("output", "dry-run", "field-manager", "validate")


class CommandFailed(Exception):
    """An error cobra returns before the command runs, which kubectl's main logs: `E… run.go:72] "command failed"`."""

    def line(self) -> str:
        return klog_line("E", "run.go:72", f'"command failed" err="{self}"')


class CommandUsage(UsageError):
    """A usage error that also points at the command's help, as cmdutil.UsageErrorf does."""

    def __init__(self, message: str, command: str) -> None:
        super().__init__(f"{message}\nSee 'kubectl {command} -h' for help and examples")


# -- kubectl create -f ------------------------------------------------------
@verb("create")
def create(ctx: Context, args: list[str]) -> int:
    try:
        if args and args[0] == "token":
            from cluster.kubectl.create_token import create_token

            return create_token(ctx, args[1:])
        if args and not args[0].startswith("-") and args[0] in GENERATORS:
            return _generate(ctx, args[0], args[1:])
        if len(args) > 1 and args[0] == "secret" and args[1] == "generic":
            return _generate(ctx, "secret generic", args[2:])
        if len(args) > 1 and args[0] == "service" and args[1] in SERVICE_TYPES:
            return _generate(ctx, f"service {args[1]}", args[2:])
        parsed = fl.parse(
            args, fl.flags("filename", "recursive", *OUTPUT_FLAGS, extra=(Flag("save-config", "bool", False),))
        )
        if parsed.positional:
            raise CommandUsage(f"Unexpected args: [{' '.join(parsed.positional)}]", "create")
        if not parsed.many("filename"):
            raise CommandUsage("must specify one of -f and -k", "create")
        return create_from_files(ctx, parsed)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    except CommandFailed as failed:
        ctx.stderr.write(failed.line())
        return 1


def create_from_files(ctx: Context, parsed: Parsed) -> int:
    loaded = load_files(
        ctx, parsed.many("filename"), validate=parsed.text("validate") != "false", recursive=bool(parsed["recursive"])
    )

    def act(target: Target) -> None:
        body = dict(target.manifest or {})
        if parsed["save-config"]:
            from cluster.kubectl.apply import with_last_applied

            body = with_last_applied(body, target)
        if parsed.text("dry-run") == "client":
            print_result(ctx, parsed, body, kind_name(target.rt, target.name) + " created")
            return
        try:
            created = ctx.api.create(
                target.rt, target.namespace or None, body, dry_run=parsed.text("dry-run") == "server"
            )
        except StatusError as err:
            raise api_error(err, "creating", target.source) from None
        print_result(ctx, parsed, created, kind_name(target.rt, created["metadata"]["name"]) + " created")

    return for_each(ctx, loaded.targets, act, after=loaded.errors)


def print_result(ctx: Context, parsed: Parsed, obj: dict, message: str) -> None:
    """`kind/name created`, or the object itself with -o, with kubectl's dry-run suffix."""
    output = parsed.text("output")
    dry_run = parsed.text("dry-run")
    if output == "yaml":
        ctx.stdout.write(to_yaml(obj))
    elif output == "json" and dry_run == "client":
        ctx.stdout.write(typed_json(obj))
    elif output == "json":
        ctx.stdout.write(to_json(obj))
    elif output == "name":
        ctx.stdout.write(message.rsplit(" ", 1)[0] + "\n")
    else:
        ctx.stdout.write(message + dry_run_suffix(dry_run) + "\n")


def dry_run_suffix(dry_run: str) -> str:
    """What kubectl's printers append to the operation under --dry-run."""
    return {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")


def with_namespace(meta: dict, namespace: str) -> dict:
    """EnforceNamespace: an explicit -n goes into the object, right after its name (ObjectMeta's order)."""
    ordered = {"name": meta["name"], "namespace": namespace}
    ordered.update((k, v) for k, v in meta.items() if k not in ordered)
    return ordered


def typed_json(obj: dict) -> str:
    """An object kubectl built itself prints in its Go struct's field order, which the builders here keep."""
    text = json.dumps(obj, indent=4, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


# -- the generators ---------------------------------------------------------
def _generate(ctx: Context, which: str, args: list[str]) -> int:
    build, known, required = GENERATORS[which] if which in GENERATORS else SERVICE_GENERATORS[which]
    parsed = fl.parse(args, fl.flags(*OUTPUT_FLAGS, extra=known))
    fl.require(parsed, *required)
    if which == "service externalname" and "external-name" not in parsed.given:
        # cobra's MarkFlagRequired fails before the command runs; kubectl's main logs the error with klog
        raise CommandFailed('required flag(s) \\"external-name\\" not set')
    command = f"create {which}"
    if parsed.dash_at >= 0:
        parsed.values["command"] = parsed.positional[parsed.dash_at :]
        parsed.positional = parsed.positional[: parsed.dash_at]
    if len(parsed.positional) != 1:
        raise CommandUsage(f"exactly one NAME is required, got {len(parsed.positional)}", command)
    dry_run = parsed.text("dry-run")
    if dry_run not in ("none", "client", "server", "true", "false"):
        raise UsageError(f'Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')
    if which.startswith("service "):
        parsed.values["type"] = SERVICE_TYPES[which.split()[1]]
    obj = build(ctx, parsed.positional[0], parsed)
    rt = resource_type(
        f"{obj['kind']}.{obj['apiVersion'].rpartition('/')[0]}" if "/" in obj["apiVersion"] else obj["kind"]
    )
    if dry_run == "client":
        if rt.namespaced and ctx.namespace_explicit:
            obj["metadata"] = with_namespace(obj["metadata"], ctx.namespace)
        print_result(ctx, parsed, obj, kind_name(rt, obj["metadata"]["name"]) + " created")
        return 0
    try:
        created = ctx.api.create(rt, ctx.namespace if rt.namespaced else None, obj, dry_run=dry_run == "server")
    except StatusError as err:
        noun = f"{parsed.text('type')} service" if which.startswith("service ") else which.split()[0]
        noun = {"deploy": "deployment", "cm": "configmap", "ns": "namespace", "sa": "serviceaccount"}.get(noun, noun)
        sep = " " if noun == "secret" else ": "
        raise UsageError(f"failed to create {noun}{sep}{err.message}") from None
    print_result(ctx, parsed, created, kind_name(rt, created["metadata"]["name"]) + " created")
    return 0


def _deployment(ctx: Context, name: str, parsed: Parsed) -> dict:
    labels = {"app": name}
    containers: list[dict] = []
    for image in parsed.many("image"):
        container: dict = {"name": container_name(ctx, image), "image": image}
        if parsed.many("command"):  # the words after `--`
            container["command"] = parsed.many("command")
        if parsed["port"] >= 0 and not containers:
            container["ports"] = [{"containerPort": parsed["port"]}]
        container["resources"] = {}
        containers.append(container)
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": dict(labels)},
        "spec": {
            "replicas": parsed["replicas"],
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": dict(labels)},
                "spec": {"containers": containers},
            },
            "strategy": {},
        },
        "status": {},
    }


def container_name(ctx: Context, image: str) -> str:
    """buildPodSpec: the image's last path part without tag or digest, made DNS-1123 safe."""
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    if "_" in name or "." in name:
        name = name.replace("_", "-").replace(".", "-") + "-" + ctx.api.random_suffix("container", image)
    return name


def _namespace(ctx: Context, name: str, parsed: Parsed) -> dict:
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": {},
        "status": {},
    }


def _literals(parsed: Parsed, kind: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for literal in parsed.many("from-literal"):
        key, eq, value = literal.partition("=")
        if not eq or not key:
            raise UsageError(f"invalid literal source {literal}, expected key=value")
        if key in data:
            raise UsageError(
                f'cannot add key "{key}", another key by that name already exists in Data for '
                f'ConfigMap "{parsed.positional[0]}"'
                if kind == "ConfigMap"
                else f"cannot add key {key}, another key by that name already exists"
            )
        data[key] = value
    return data


def _configmap(ctx: Context, name: str, parsed: Parsed) -> dict:
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None}}
    data = _literals(parsed, "ConfigMap")
    if data:
        obj["data"] = data
    return obj


def _secret(ctx: Context, name: str, parsed: Parsed) -> dict:
    obj = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None}}
    data = {k: base64.b64encode(v.encode()).decode() for k, v in _literals(parsed, "Secret").items()}
    if data:
        obj["data"] = data
    if parsed.text("type"):
        obj["type"] = parsed.text("type")
    return obj


def _service(ctx: Context, name: str, parsed: Parsed) -> dict:
    """create_service.go: ServiceOptions.Validate, then createService (the spec in ServiceSpec's field order)."""
    kind, cluster_ip, external = parsed.text("type"), parsed.text("clusterip"), parsed.text("external-name")
    ports = []
    for port_spec in parsed.many("tcp"):
        port_text, _, target_text = port_spec.partition(":")
        port = _port(port_text)
        target: int | str = _port(target_text) if target_text.isdigit() else (target_text or port)
        ports.append({"name": f"{port}-{target}", "protocol": "TCP", "port": port, "targetPort": target})
    if cluster_ip != "None" and not ports and kind != "ExternalName":
        raise UsageError("at least one tcp port specifier must be provided")
    if kind == "ExternalName" and not DNS1123_SUBDOMAIN.fullmatch(external):
        raise UsageError(f"invalid service external name {external}")
    spec: dict = {"ports": ports} if ports else {}
    spec["selector"] = {"app": name}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    spec["type"] = kind
    if external:
        spec["externalName"] = external
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None, "labels": {"app": name}},
        "spec": spec,
        "status": {"loadBalancer": {}},
    }


def _port(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text)


DEPLOYMENT_FLAGS = (Flag("image", "slice"), Flag("replicas", "int", 1, "r"), Flag("port", "int", -1))
LITERAL_FLAGS = (Flag("from-literal", "list"), Flag("append-hash", "bool", False))
GENERATORS: dict[str, tuple[Builder, tuple[Flag, ...], tuple[str, ...]]] = {
    "deployment": (_deployment, DEPLOYMENT_FLAGS, ("image",)),
    "deploy": (_deployment, DEPLOYMENT_FLAGS, ("image",)),
    "namespace": (_namespace, (), ()),
    "ns": (_namespace, (), ()),
    "configmap": (_configmap, LITERAL_FLAGS, ()),
    "cm": (_configmap, LITERAL_FLAGS, ()),
    "secret generic": (_secret, LITERAL_FLAGS + (Flag("type", "string", ""),), ()),
}
SERVICE_TYPES = {
    "clusterip": "ClusterIP",
    "nodeport": "NodePort",
    "loadbalancer": "LoadBalancer",
    "externalname": "ExternalName",
}
# each `create service` subcommand's own flags: only clusterip takes --clusterip; externalname needs a name
SERVICE_GENERATORS: dict[str, tuple[Builder, tuple[Flag, ...], tuple[str, ...]]] = {
    "service clusterip": (_service, (Flag("tcp", "slice"), Flag("clusterip", "string", "")), ()),
    "service nodeport": (_service, (Flag("tcp", "slice"),), ()),
    "service loadbalancer": (_service, (Flag("tcp", "slice"),), ()),
    "service externalname": (_service, (Flag("tcp", "slice"), Flag("external-name", "string", "")), ()),
}
DNS1123_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
