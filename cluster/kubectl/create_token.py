"""`kubectl create serviceaccount` and `kubectl create token`
(pkg/cmd/create/create_serviceaccount.go, create_token.go).

    kubectl create serviceaccount NAME [--dry-run=server|client|none] [-o yaml|json|name]
    kubectl create token SERVICE_ACCOUNT_NAME [--duration=1h] [--audience=AUD ...] [-o yaml|json]

`create serviceaccount` builds the account kubectl builds (a name and nothing
else) and registers itself with `kubectl create` (cluster/kubectl/create.py).
`create token` posts a TokenRequest to the account's `token` subresource
(cluster/apiserver/tokenrequest.py) and prints the token, with no newline after it
as kubectl v1.32 prints it; a duration is sent only when given (the server
defaults it to one hour), as whole seconds.

Simplified: no --bound-object-kind/-name/-uid.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.tokenrequest import API_VERSION
from cluster.apiserver.tokenrequest import create_token as request_token
from cluster.cron import parse_go_duration
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context
from cluster.kubectl.create import GENERATORS, CommandUsage
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.output import to_json, to_yaml

TOKEN_FLAGS = (
    Flag("duration", "string", "0s"),
    Flag("audience", "list"),
    Flag("output", "string", "", short="o"),
    Flag("bound-object-kind", "string", ""),
    Flag("bound-object-name", "string", ""),
    Flag("bound-object-uid", "string", ""),
)


def _serviceaccount(ctx: Context, name: str, parsed: Parsed) -> dict:
    return {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None}}


GENERATORS.update(
    {
        "serviceaccount": (_serviceaccount, (), ()),
        "sa": (_serviceaccount, (), ()),
    }
)


def create_token(ctx: Context, args: list[str]) -> int:
    """`kubectl create token NAME`: the token on stdout, or the TokenRequest with -o yaml|json."""
    try:
        parsed = fl.parse(args, list(TOKEN_FLAGS))
        if len(parsed.positional) != 1:
            raise CommandUsage(f"exactly one NAME is required, got {len(parsed.positional)}", "create token")
        output = parsed.text("output")
        if output not in ("", "yaml", "json"):
            raise UsageError(
                f'unable to match a printer suitable for the output format "{output}", allowed formats are: json,yaml'
            )
        text = parsed.text("duration")
        seconds = parse_go_duration(text)
        if seconds is None:
            raise UsageError(f'invalid argument "{text}" for "--duration" flag: time: invalid duration "{text}"')
        if seconds < 0:
            raise UsageError("--duration must be greater than or equal to 0")
        if seconds != int(seconds):
            raise UsageError("--duration cannot be expressed in units less than seconds")
        audiences = parsed.many("audience")
        if any(not a for a in audiences):
            raise UsageError("--audience must not be an empty string")
        if parsed.text("bound-object-kind") or parsed.text("bound-object-name") or parsed.text("bound-object-uid"):
            raise UsageError("kubeclass does not bind tokens to objects (--bound-object-*)")
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    spec: dict = {"audiences": audiences or None}
    if seconds > 0:
        spec["expirationSeconds"] = int(seconds)
    body = {
        "kind": "TokenRequest",
        "apiVersion": API_VERSION,
        "metadata": {"creationTimestamp": None},
        "spec": spec,
        "status": {"token": "", "expirationTimestamp": None},
    }
    try:
        response = request_token(ctx.api, ctx.namespace, parsed.positional[0], body)
    except StatusError as err:
        ctx.stderr.write(f"error: failed to create token: {err.message}\n")
        return 1
    if output == "yaml":
        ctx.stdout.write(to_yaml(response))
    elif output == "json":
        ctx.stdout.write(to_json(response))
    else:
        ctx.stdout.write(response["status"]["token"])  # no newline after it, as kubectl's fmt.Fprint
    return 0
