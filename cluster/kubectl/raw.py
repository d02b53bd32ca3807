"""`kubectl get --raw URI`: GET a path from the API server and print the body as it is.

As kubectl v1.32 (pkg/cmd/get/get.go Complete/Validate, pkg/rawhttp): no
resource arguments, no -w/-l/-o beside it, the URI must be a path (or an
absolute URL, of which only the path and query are used); the body is copied
to stdout byte for byte (no newline added: `ok` for /healthz). A non-2xx
answer is an error, as client-go's Request.Stream makes it: a Status body
becomes `Error from server (<reason>): <message>`, any other body
errors.NewGenericServerResponse's words for its code.

The request goes through the API's own HTTP views in-process
(cluster/apiserver/http/loopback.py) with the cluster's token, so the answer is
exactly what a real kubectl gets from the API port. A watch URL streams until
the server ends it, Ctrl-C/Stop, or --request-timeout (30 s by default here).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from cluster.apiserver.http import loopback
from cluster.kubectl.cli import Context
from cluster.kubectl.get_flags import GetFlags, UsageError
from cluster.kubectl.version import CLIENT_VERSION

# errors.NewGenericServerResponse: (reason, message) for a status code whose body is no Status.
GENERIC = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "the server has asked for the client to provide credentials"),
    403: ("Forbidden", "the server does not allow access to the requested resource"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    406: ("NotAcceptable", "the server was unable to respond with a content type that the client supports"),
    409: ("Conflict", "the server reported a conflict"),
    415: ("UnsupportedMediaType", "the server does not support the media type transmitted in the request"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be processing the request",
    ),
}


def validate(flags: GetFlags) -> None:
    """GetOptions.Complete and Validate for --raw."""
    if flags.positional:
        raise UsageError("arguments may not be passed when --raw is specified")
    if flags.watch or flags.watch_only or flags.selector:
        raise UsageError(
            "--raw may not be specified with other flags that filter the server request or alter the output"
        )
    if flags.output:
        raise UsageError("--raw and --output are mutually exclusive")
    parts = urlsplit(flags.raw)
    if not (flags.raw.startswith("/") or (parts.scheme and parts.netloc)):
        raise UsageError(f'--raw must be a valid URL path: parse "{flags.raw}": invalid URI for request')


def go_quote(text: str) -> str:
    """Go's %q, near enough for server messages."""
    return json.dumps(text, ensure_ascii=False)


def error_message(status: int, content_type: str, body: bytes) -> tuple[str, str]:
    """(reason, message) of the error client-go makes of a failed answer."""
    if "json" in content_type:
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and decoded.get("kind") == "Status" and decoded.get("status") == "Failure":
            return str(decoded.get("reason") or "Unknown"), str(decoded.get("message") or "")
    text = body.decode("utf-8", "replace").strip() if content_type.startswith("text/") else "unknown"
    if status in GENERIC:
        return GENERIC[status]
    if status >= 500:
        return "InternalError", f"an error on the server ({go_quote(text)}) has prevented the request from succeeding"
    return "Unknown", f"the server responded with the status code {status} but did not return more information"


def run_raw(ctx: Context, flags: GetFlags) -> int:
    validate(flags)

    def write(chunk: bytes) -> None:
        ctx.stdout.write(chunk.decode("utf-8", "replace"))
        if hasattr(ctx.stdout, "flush"):
            ctx.stdout.flush()

    agent = (
        f"kubectl/{CLIENT_VERSION['gitVersion']} ({CLIENT_VERSION['platform']}) "
        f"kubernetes/{CLIENT_VERSION['gitCommit'][:7]}"
    )  # client-go's DefaultKubernetesUserAgent
    answer = loopback.get(
        ctx.api.cluster, flags.raw, agent, on_chunk=write, stop=ctx.stop, max_seconds=flags.watch_seconds
    )
    if not 200 <= answer.status < 300:
        reason, message = error_message(answer.status, answer.content_type, answer.body)
        ctx.stderr.write(f"Error from server ({reason}): {message}\n")
        return 1
    if answer.body:
        write(answer.body)
    return 0
