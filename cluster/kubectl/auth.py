"""`kubectl auth can-i` and `kubectl auth whoami`, as kubectl v1.32 prints them against kubeclass.

The bearer token of a kubeclass cluster is its admin's: a static-token user in `system:masters`,
which kube-apiserver's first authorizer allows everything (cluster/apiserver/http/reviews.py answers
the real kubectl's SelfSubjectAccessReview and SelfSubjectReview the same way). So `can-i` says yes
to every question kubectl would send — after kubectl's own checks: two arguments, and a warning for a
resource type the server does not serve. `whoami` prints the user the review returns.

Simplified: `can-i --list` is not offered (kubectl would print the rules of a SelfSubjectRulesReview,
which kubeclass does not serve).
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from cluster.clock import rfc3339
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import typed_json
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.output import to_yaml

USERNAME = "kubeclass-admin"  # the static token file's user (reviews.py)
GROUPS = ["system:masters", "system:authenticated"]
TWO_ARGUMENTS = (
    "error: you must specify two arguments: verb resource or verb resource/resourceName.\n"
    "See 'kubectl auth can-i -h' for help and examples.\n"
)
CAN_I_FLAGS = (
    Flag("all-namespaces", "bool", False, "A"),
    Flag("quiet", "bool", False, "q"),
    Flag("subresource", "string", ""),
    Flag("list", "bool", False),
    Flag("no-headers", "bool", False),
)


@verb("auth")
def auth(ctx: Context, args: list[str]) -> int:
    command, rest = (args[0], args[1:]) if args else ("", [])
    try:
        if command == "can-i":
            return can_i(ctx, rest)
        if command == "whoami":
            return whoami(ctx, rest)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    ctx.stderr.write(f"error: unknown command \"{command}\"\nSee 'kubectl auth -h' for help and examples\n")
    return 1


def can_i(ctx: Context, args: list[str]) -> int:
    parsed = fl.parse(args, fl.flags(extra=CAN_I_FLAGS))
    if parsed["list"]:
        raise UsageError("kubeclass does not serve SelfSubjectRulesReview: `can-i --list` has nothing to list")
    if len(parsed.positional) != 2:
        ctx.stderr.write(TWO_ARGUMENTS)
        return 1
    resource = parsed.positional[1]
    if not resource.startswith("/") and resource != "*" and not _served(resource):
        ctx.stderr.write(f"Warning: the server doesn't have a resource type '{resource.split('/')[0]}'\n\n")
    if not parsed["quiet"]:
        ctx.stdout.write("yes\n")  # system:masters: every request is allowed
    return 0


def _served(resource: str) -> bool:
    kind = resource.split("/", 1)[0]  # `pods/log` asks about a subresource of pods
    try:
        lookup(kind)
    except StatusError:
        return False
    return True


def whoami(ctx: Context, args: list[str]) -> int:
    parsed = fl.parse(args, fl.flags(extra=(Flag("output", "string", "", "o"),)))
    review = {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": rfc3339(ctx.api.now())},
        "status": {"userInfo": {"username": USERNAME, "groups": GROUPS}},
    }
    output = parsed.text("output")
    if output == "json":
        ctx.stdout.write(typed_json(review))
    elif output == "yaml":
        ctx.stdout.write(to_yaml(review))
    elif output:
        raise UsageError(
            f'unable to match a printer suitable for the output format "{output}", allowed formats are: json,yaml'
        )
    else:
        ctx.stdout.write(f"ATTRIBUTE   VALUE\nUsername    {USERNAME}\nGroups      [{' '.join(GROUPS)}]\n")
    return 0
