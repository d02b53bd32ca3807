"""Dispatch a kubectl command line to its verb.

Each verb lives in its own module and registers itself with `@verb("name")`.
A handler gets the parsed context and its own argument list, and returns the
exit code (0 ok, 1 error), writing output as kubectl does.
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, TextIO

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer

Handler = Callable[["Context", list[str]], int]
VERBS: dict[str, Handler] = {}
VERB_MODULES: tuple[str, ...] = (
    "cluster.kubectl.get",
    "cluster.kubectl.auth",
    "cluster.kubectl.create_batch",
    "cluster.kubectl.create_priorityclass",
    "cluster.kubectl.create_token",
    "cluster.kubectl.create",
    "cluster.kubectl.run",
    "cluster.kubectl.debug",
    "cluster.kubectl.apply",
    "cluster.kubectl.delete",
    "cluster.kubectl.scale",
    "cluster.kubectl.setimage",
    "cluster.kubectl.label",
    "cluster.kubectl.patch",
    "cluster.kubectl.expose",
    "cluster.kubectl.rollout",
    "cluster.kubectl.node",
    "cluster.kubectl.describe",
    "cluster.kubectl.apiresources",
    "cluster.kubectl.explain",
    "cluster.kubectl.edit",
    "cluster.kubectl.autoscale",
    "cluster.kubectl.loadgen",
    "cluster.kubectl.exec",
    "cluster.kubectl.logs",
    "cluster.kubectl.fault",
    "cluster.kubectl.version",
    "cluster.kubectl.clusterinfo",
    "cluster.kubectl.setresources",
    "cluster.kubectl.top",
    "cluster.kubectl.taint",
    "cluster.kubectl.drain",
)


def verb(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        VERBS[name] = handler
        return handler

    return register


def load_verbs() -> dict[str, Handler]:
    """The verb table, every verb module imported (each registers itself on import)."""
    for module in VERB_MODULES:
        importlib.import_module(module)
    return VERBS


def verb_names() -> list[str]:
    """The verbs kubectl here knows, sorted as cobra's completion lists them: the page's completion list."""
    return sorted(load_verbs())


@dataclass
class Context:
    api: APIServer
    namespace: str = "default"
    namespace_explicit: bool = False
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    local_files: bool = True  # False in the web terminal: the server's files are not the learner's
    # Set when a watching command (get -w, rollout status) should end: the page's Stop or Ctrl-C.
    stop: threading.Event = field(default_factory=threading.Event)


def server_error(ctx: Context, err: StatusError) -> int:
    """kubectl's `Error from server (Reason): message` on stderr, exit code 1."""
    ctx.stderr.write(f"Error from server ({err.reason}): {err.message}\n")
    return 1


def run(
    api: APIServer,
    argv: list[str],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    local_files: bool = True,
    stop: threading.Event | None = None,
) -> int:
    load_verbs()
    ctx = Context(
        api,
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
        local_files=local_files,
        stop=stop or threading.Event(),
    )
    args = _take_namespace(ctx, list(argv))
    if not args:
        ctx.stderr.write("error: You must specify the type of resource to get.\n")
        return 1
    handler = VERBS.get(args[0])
    if handler is None:
        ctx.stderr.write(f'error: unknown command "{args[0]}" for "kubectl"\n')
        return 1
    # the fieldManager kubectl sends for this command (each command's default --field-manager)
    previous, api.default_field_manager = api.default_field_manager, FIELD_MANAGERS.get(args[0], "kubectl")
    try:
        return handler(ctx, args[1:])
    except StatusError as err:
        return server_error(ctx, err)
    finally:
        api.default_field_manager = previous


FIELD_MANAGERS = {
    "create": "kubectl-create",
    "apply": "kubectl-client-side-apply",
    "edit": "kubectl-edit",
    "replace": "kubectl-replace",
    "label": "kubectl-label",
    "annotate": "kubectl-annotate",
    "patch": "kubectl-patch",
    "scale": "kubectl-scale",
    "set": "kubectl-set",
    "rollout": "kubectl-rollout",
    "expose": "kubectl-expose",
    "run": "kubectl-run",
    "autoscale": "kubectl-autoscale",
    "taint": "kubectl-taint",
}


def _take_namespace(ctx: Context, args: list[str]) -> list[str]:
    """Pull the global -n/--namespace flag out of the argument list, wherever it stands."""
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-n", "--namespace") and i + 1 < len(args):
            ctx.namespace, ctx.namespace_explicit = args[i + 1], True
            i += 2
            continue
        if arg.startswith("--namespace="):
            ctx.namespace, ctx.namespace_explicit = arg.split("=", 1)[1], True
        elif arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
            ctx.namespace, ctx.namespace_explicit = arg[2:], True
        else:
            rest.append(arg)
        i += 1
    return rest
