"""What kubectl's commands share for reporting (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go).

- `parse_flags`: a pflag error never reaches the command; cobra prints it as
  `Error: unknown flag: --x` and `See 'kubectl VERB --help' for usage.`.
- `usage_error`: cmdutil.UsageErrorf, the message and `See 'kubectl VERB -h' for
  help and examples`.
- `check_err`: cmdutil.CheckErr. One error is printed with `error: ` in front
  unless it already has it (an API error as `Error from server (Reason): ...`,
  an Invalid one as `The Kind "name" is invalid: ...`); several are printed one
  per line as they are, which is how kubectl prints an aggregate.
- `klog_line`: what kubectl logs with klog before it exits (an error cobra raised before the
  command ran, a sorter's fatal): `E1204 20:23:39.920346    4969 run.go:72] …`.
"""

from __future__ import annotations

import datetime as dt
import os

from cluster.apiserver.errors import StatusError
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.jsonpath import JSONPath, JSONPathError
from cluster.kubectl.output import to_json, to_yaml


class Bare(str):
    """A message kubectl prints without `error: ` (e.g. a NoResourceMatchError)."""


def parse_flags(ctx: Context, args: list[str], known: list[Flag], command: str) -> Parsed | None:
    """The parsed flags, or None after printing cobra's flag error."""
    try:
        return fl.parse(args, known)
    except UsageError as err:
        ctx.stderr.write(f"Error: {err}\nSee 'kubectl {command} --help' for usage.\n")
        return None


def usage_error(message: str, command: str) -> UsageError:
    return UsageError(f"{message}\nSee 'kubectl {command} -h' for help and examples")


def check_err(ctx: Context, errors: list[str | StatusError]) -> int:
    """Print the errors as kubectl's CheckErr does; the exit code (0 when there are none)."""
    if not errors:
        return 0
    if len(errors) == 1:
        text = _single(errors[0])
        ctx.stderr.write(text if text.endswith("\n") else text + "\n")
        return 1
    for err in errors:
        ctx.stderr.write(message_for(err) + "\n")
    return 1


def message_for(err: str | StatusError) -> str:
    """StandardErrorMessage, or the error's own text."""
    if isinstance(err, StatusError):
        return f"Error from server ({err.reason}): {err.message}" if err.reason else f"Error from server: {err.message}"
    return str(err)


def _single(err: str | StatusError) -> str:
    if isinstance(err, StatusError):
        return _invalid(err) if err.reason == "Invalid" else message_for(err)
    if isinstance(err, Bare) or err.startswith("error: "):
        return str(err)
    return f"error: {err}"


def _invalid(err: StatusError) -> str:
    """`The Node "worker-1" is invalid: spec.taints[0].effect: ...`, one cause per line when several."""
    details = err.details or {}
    named = bool(details.get("kind") or details.get("name"))
    heading = (
        f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid' if named else "The request is invalid"
    )
    causes = list(dict.fromkeys(f"{c.get('field', '')}: {c.get('message', '')}" for c in details.get("causes") or []))
    if not causes:
        return heading if named or not err.message else f"{heading}: {err.message}"
    if len(causes) == 1:
        return f"{heading}: {causes[0]}\n"
    return f"{heading}: \n" + "".join(f"* {cause}\n" for cause in causes)


PRINT_FORMATS = (
    "go-template",
    "go-template-file",
    "json",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "name",
    "template",
    "templatefile",
    "yaml",
)


def check_dry_run(dry_run: str) -> None:
    """GetDryRunStrategy's validation."""
    if dry_run == "unchanged":
        raise UsageError(
            '--dry-run flag without a value was specified. A value must be set: "none", "server", or "client".'
        )
    if dry_run not in ("none", "server", "client"):
        raise UsageError(f'Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".')


def check_output(output: str) -> None:
    """PrintFlags.ToPrinter's check of -o; kubeclass prints json, yaml, name and jsonpath for the mutating verbs."""
    if output in ("", "json", "yaml", "name") or output.startswith("jsonpath="):
        return
    if output.partition("=")[0] in PRINT_FORMATS:
        raise UsageError(f"kubeclass prints -o json, yaml, name or jsonpath=... for this command, not -o {output}")
    raise UsageError(
        f'unable to match a printer suitable for the output format "{output}", allowed formats are: '
        + ",".join(PRINT_FORMATS)
    )


def print_object(ctx: Context, output: str, obj: dict, name: str, message: str) -> None:
    """The printer -o chose: the object as yaml, json or a jsonpath, `kind/name`, or `kind/name <message>`."""
    fmt, _, template = output.partition("=")
    if fmt == "yaml":
        ctx.stdout.write(to_yaml(obj))
    elif fmt == "json":
        ctx.stdout.write(to_json(obj))
    elif fmt == "jsonpath":
        if len(template) >= 2 and template[0] == template[-1] and template[0] in "'\"":
            template = template[1:-1]
        try:
            ctx.stdout.write(JSONPath(template).execute(obj))
        except JSONPathError as err:
            ctx.stderr.write(f"error: error executing jsonpath {template!r}: {err}\n")
    elif fmt == "name":
        ctx.stdout.write(name + "\n")
    else:
        ctx.stdout.write(f"{name} {message}\n")


def klog_line(severity: str, site: str, message: str) -> str:
    """klog's header (severity, date, time in microseconds, thread id, file:line), then the message."""
    now = dt.datetime.now()
    return f"{severity}{now:%m%d %H:%M:%S.%f} {os.getpid():7d} {site}] {message}\n"
