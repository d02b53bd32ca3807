"""`kubectl autoscale`: create a HorizontalPodAutoscaler for a scalable workload, as kubectl v1.32 does.

kubectl v1.32 (pkg/cmd/autoscale) looks the target up, checks that its resource
has a scale subresource, and builds the HPA: name (--name or the target's),
scaleTargetRef (apiVersion, kind, name), maxReplicas, minReplicas only when
--min > 0, and a CPU target only when --cpu-percent >= 0 (otherwise the API
server's default of 80 % applies). It prints `horizontalpodautoscaler.autoscaling/NAME
autoscaled`.

Simplified: kubectl v1.32 sends an autoscaling/v1 object; kubeclass serves
HorizontalPodAutoscaler in autoscaling/v2 only, so the same HPA is written in
its v2 form (what the API server's v1→v2 conversion stores). No -f, no
--save-config/--field-manager bookkeeping, and -o prints the stored v2 object.
"""

from __future__ import annotations


from cluster.apiserver.errors import StatusError
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import klog_line
from cluster.kubectl.get import resolve
from cluster.kubectl.get_flags import UsageError
from cluster.kubectl.output import resource_name, to_json, to_yaml

SCALABLE = ("Deployment", "ReplicaSet")
NO_RESOURCES = (
    "You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n   '<resource>'"
)
_INT_FLAGS = {"--min": "min", "--max": "max", "--cpu-percent": "cpu_percent"}
_STR_FLAGS = {"--name": "name", "--dry-run": "dry_run", "-o": "output", "--output": "output"}


class FlagError(Exception):
    """A pflag parse error: cobra prints `Error: ...` and the usage hint."""


class Options:
    def __init__(self) -> None:
        self.min, self.max, self.cpu_percent = -1, -1, -1
        self.name, self.dry_run, self.output = "", "none", ""
        self.max_set = False
        self.positional: list[str] = []


@verb("autoscale")
def autoscale(ctx: Context, args: list[str]) -> int:
    try:
        opts = parse(args)
    except FlagError as err:
        ctx.stderr.write(f"Error: {err}\nSee 'kubectl autoscale --help' for usage.\n")
        return 1
    if not opts.max_set:
        ctx.stderr.write(klog_line("E", "run.go:72", '"command failed" err="required flag(s) \\"max\\" not set"'))
        return 1
    try:
        validate(opts)
        targets = resolve_targets(opts.positional)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    code = 0
    for rt, name in targets:
        try:
            code = max(code, create_one(ctx, opts, rt, name))
        except StatusError as err:
            ctx.stderr.write(f"Error from server ({err.reason}): {err.message}\n")
            code = 1
    return code


def parse(args: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg == "-":
            opts.positional.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name not in _INT_FLAGS and name not in _STR_FLAGS:
            raise FlagError(
                f"unknown flag: {name}" if name.startswith("--") else f"unknown shorthand flag: '{name[1]}' in {arg}"
            )
        if not eq:
            if i >= len(args):
                raise FlagError(f"flag needs an argument: {name}")
            value = args[i]
            i += 1
        if name in _INT_FLAGS:
            setattr(opts, _INT_FLAGS[name], _int32(name, value))
            opts.max_set = opts.max_set or name == "--max"
        else:
            setattr(opts, _STR_FLAGS[name], value)
    return opts


def _int32(flag: str, value: str) -> int:
    try:
        number = int(value, 0)
    except ValueError:
        raise FlagError(
            f'invalid argument "{value}" for "{flag}" flag: strconv.ParseInt: parsing "{value}": invalid syntax'
        ) from None
    if not -(2**31) <= number < 2**31:
        raise FlagError(
            f'invalid argument "{value}" for "{flag}" flag: strconv.ParseInt: parsing "{value}": value out of range'
        )
    return number


def validate(opts: Options) -> None:
    if opts.dry_run not in ("none", "server", "client"):
        raise UsageError(f'Invalid dry-run value ({opts.dry_run}). Must be "none", "server", or "client".')
    if opts.output not in ("", "name", "yaml", "json"):
        raise UsageError(
            f'unable to match a printer suitable for the output format "{opts.output}", allowed '
            f"formats are: json,name,yaml"
        )
    if opts.max < 1:
        raise UsageError(f"--max=MAXPODS is required and must be at least 1, max: {opts.max}")
    if opts.max < opts.min:
        raise UsageError(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {opts.max}, min: {opts.min}")


def resolve_targets(positional: list[str]) -> list[tuple]:
    if not positional:
        raise UsageError(NO_RESOURCES)
    targets: list[tuple] = []
    for request in resolve(positional):
        if not request.names:
            raise UsageError("resource(s) were provided, but no name was specified")
        if request.rt.kind not in SCALABLE:
            gvr = f"{request.rt.group}/{request.rt.version}, Resource={request.rt.plural}"
            raise UsageError(
                f"cannot autoscale a {request.rt.kind}: could not find scale subresource for {gvr} "
                f"in discovery information"
            )
        targets.extend((request.rt, name) for name in request.names)
    return targets


def build_hpa(opts: Options, target: dict) -> dict:
    """createHorizontalPodAutoscaler, in the autoscaling/v2 form the API server stores."""
    spec: dict = {
        "scaleTargetRef": {
            "apiVersion": target["apiVersion"],
            "kind": target["kind"],
            "name": target["metadata"]["name"],
        },
        "maxReplicas": opts.max,
    }
    if opts.min > 0:
        spec["minReplicas"] = opts.min
    if opts.cpu_percent >= 0:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": opts.cpu_percent}},
            }
        ]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": opts.name or target["metadata"]["name"]},
        "spec": spec,
    }


def create_one(ctx: Context, opts: Options, rt, name: str) -> int:
    target = ctx.api.get(rt, ctx.namespace, name)
    hpa = build_hpa(opts, target)
    if opts.dry_run == "client":
        return _print(ctx, opts, hpa, "created (dry run)")
    created = ctx.api.create("horizontalpodautoscalers", ctx.namespace, hpa, dry_run=opts.dry_run == "server")
    return _print(ctx, opts, created, "autoscaled (server dry run)" if opts.dry_run == "server" else "autoscaled")


def _print(ctx: Context, opts: Options, hpa: dict, operation: str) -> int:
    if opts.output == "yaml":
        ctx.stdout.write(to_yaml(hpa))
    elif opts.output == "json":
        ctx.stdout.write(to_json(hpa))
    elif opts.output == "name":
        ctx.stdout.write(resource_name(hpa) + "\n")
    else:
        ctx.stdout.write(f"{resource_name(hpa)} {operation}\n")
    return 0
