"""`kubectl fault …`: a kubeclass plugin verb (like a `kubectl-fault` binary on the PATH).

    kubectl fault node NAME down|up|partition|heal|fill-memory
    kubectl fault pod NAME crash [--exit-code N] | fail-probes readiness|liveness | heal
    kubectl fault image NAME missing|present

Node and pod faults are annotations written through the API server
(cluster/faults.py), so `kubectl annotate` does the same; image faults change
the simulated registry.
"""

from __future__ import annotations

from cluster.faults import FaultError, set_image_fault, set_node_fault, set_pod_fault
from cluster.kubectl.cli import Context, verb

USAGE = (
    "Usage:\n"
    "  kubectl fault node NAME down|up|partition|heal|fill-memory\n"
    "  kubectl fault pod NAME crash [--exit-code N] | fail-probes readiness|liveness | heal\n"
    "  kubectl fault image NAME missing|present\n"
)


@verb("fault")
def fault(ctx: Context, args: list[str]) -> int:
    exit_code, rest = _take_exit_code(args)
    if exit_code is None or len(rest) < 3:
        ctx.stderr.write(
            "error: "
            + (
                "--exit-code must be a number\n"
                if exit_code is None
                else "kubectl fault needs a kind, a name and an action\n"
            )
            + USAGE
        )
        return 1
    kind, name, action, extra = rest[0], rest[1], rest[2], rest[3:]
    try:
        if kind == "node" and not extra:
            state = set_node_fault(ctx.api, name, action)
            ctx.stdout.write(f"node/{name} {state}\n")
        elif kind == "pod" and len(extra) <= 1:
            set_pod_fault(ctx.api, ctx.namespace, name, action, exit_code, extra[0] if extra else "")
            ctx.stdout.write(f"pod/{name} {action}{' ' + extra[0] if extra else ''}\n")
        elif kind == "image" and not extra:
            repository = set_image_fault(ctx.api, name, action)
            ctx.stdout.write(f"image {repository} {action}\n")
        else:
            ctx.stderr.write(f'error: unknown fault target "{" ".join(rest)}"\n{USAGE}')
            return 1
    except FaultError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    return 0


def _take_exit_code(args: list[str]) -> tuple[int | None, list[str]]:
    rest: list[str] = []
    code = "1"
    i = 0
    while i < len(args):
        if args[i] == "--exit-code" and i + 1 < len(args):
            code, i = args[i + 1], i + 2
            continue
        if args[i].startswith("--exit-code="):
            code = args[i].split("=", 1)[1]
        else:
            rest.append(args[i])
        i += 1
    try:
        return int(code), rest
    except ValueError:
        return None, rest
