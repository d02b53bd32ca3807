"""What a kubectl command acts on: kubectl's resource builder (k8s.io/cli-runtime/pkg/resource).

Arguments name objects as `TYPE NAME...`, `TYPE/NAME...` or `TYPE1,TYPE2
NAME` (`all` is the category: pods, services, deployments, replicasets,
autoscalers); `-l` and `--all` select by label; `-f FILE|DIR|-` reads manifests
(a directory's *.yaml, *.yml and *.json files in name order). A file is read
document by document: a YAML syntax error, or a document without kind or
apiVersion, ends that file as kubectl's streaming decoder does, while the
documents before it still count.

`for_each` is the skeleton the imperative verbs share, upstream's
`r.Visit(func(info *resource.Info, err error) error {...})` followed by
cmdutil.CheckErr: run the verb's action on each target, keep going past a
target that fails, and report what failed once the loop is done.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence, TypeVar

import yaml

from cluster import decoding
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType, by_kind, in_category, lookup
from cluster.kubectl.cli import Context
from cluster.kubectl.flags import UsageError
from cluster.kubectl.output import compact_json

MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")
NO_LOCAL_FILES = 'this terminal cannot read files: use "-f -" and paste the manifest, e.g. "kubectl apply -f -"'
RESOURCE_HINT = (
    "You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n"
    "   '-f rsrc.yaml'\n"
    "   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n"
    "   '<resource>'"
)


def resource_type(name: str) -> ResourceType:
    try:
        return lookup(name)
    except StatusError:
        raise UsageError(f'the server doesn\'t have a resource type "{name}"') from None


def kind_name(rt: ResourceType, name: str) -> str:
    """`deployment.apps/web`, `pod/web`: how kubectl's name printer names an object."""
    kind = rt.kind.lower()
    return f"{kind}.{rt.group}/{name}" if rt.group else f"{kind}/{name}"


def quoted_name(rt: ResourceType, name: str) -> str:
    """`deployment.apps "web"`: how kubectl delete names an object."""
    kind = rt.kind.lower()
    return f'{kind}.{rt.group} "{name}"' if rt.group else f'{kind} "{name}"'


@dataclass
class Target:
    rt: ResourceType
    name: str
    namespace: str
    source: str = ""  # the file it came from, for `error when ... "FILE"`
    manifest: dict | None = None


def named_targets(ctx: Context, positional: list[str]) -> list[Target]:
    """ResourceTypeOrNameArgs with names required: `TYPE NAME...` or `TYPE/NAME...`."""
    if not positional:
        return []
    if any("/" in arg for arg in positional):
        targets = []
        for arg in positional:
            kind, _, name = arg.partition("/")
            if not name or "/" not in arg:
                raise UsageError(
                    "there is no need to specify a resource type as a separate argument when "
                    "passing arguments in resource/name form (e.g. 'kubectl get "
                    "resource/<resource_name>' instead of 'kubectl get resource "
                    "resource/<resource_name>'"
                )
            targets.append(_target(ctx, resource_type(kind), name))
        return targets
    types = [rt for t in positional[0].split(",") if t for rt in (in_category(t) if t == "all" else [resource_type(t)])]
    if len(positional) == 1:
        return [Target(rt, "", _namespace(ctx, rt)) for rt in types]
    return [_target(ctx, rt, name) for rt in types for name in positional[1:]]


def _target(ctx: Context, rt: ResourceType, name: str) -> Target:
    return Target(rt, name, _namespace(ctx, rt))


def _namespace(ctx: Context, rt: ResourceType) -> str:
    return ctx.namespace if rt.namespaced else ""


def selected_targets(ctx: Context, types: list[ResourceType], selector: str, field_selector: str = "") -> list[Target]:
    """Every object of the types matching the label and field selectors (or all, for --all)."""
    targets: list[Target] = []
    for rt in types:
        listed = ctx.api.list(
            rt,
            ctx.namespace if rt.namespaced else None,
            label_selector=selector or None,
            field_selector=field_selector or None,
        )
        targets.extend(Target(rt, o["metadata"]["name"], o["metadata"].get("namespace", "")) for o in listed["items"])
    return targets


# -- files ------------------------------------------------------------------
@dataclass
class Loaded:
    targets: list[Target] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # client-side errors, reported after the server's


def named_or_selected(ctx: Context, positional: list[str], everything: bool, selector: str) -> list[Target]:
    """`TYPE NAME…` or `TYPE/NAME` as given, or every object of TYPE with --all or -l (kubectl's builder)."""
    targets = named_targets(ctx, positional)
    if all(t.name for t in targets):
        return targets
    if not (everything or selector):
        raise UsageError("resource(s) were provided, but no name was specified")
    return selected_targets(ctx, [t.rt for t in targets], selector)


def load_files(ctx: Context, filenames: list[str], validate: bool = True, recursive: bool = False) -> Loaded:
    """Every manifest in the files; `validate` is kubectl's client-side check of kind and apiVersion."""
    loaded = Loaded()
    for filename in filenames:
        if filename != "-" and not ctx.local_files:
            raise UsageError(NO_LOCAL_FILES)
        for path in _expand(filename, recursive):
            text = ctx.stdin.read() if path == "-" else _read(path)
            _load_text(ctx, text, "STDIN" if path == "-" else path, validate, loaded)
    return loaded


def _expand(filename: str, recursive: bool) -> list[str]:
    if filename == "-":
        return ["-"]
    if not os.path.exists(filename):
        raise UsageError(f'the path "{filename}" does not exist')
    if not os.path.isdir(filename):
        return [filename]
    found: list[str] = []
    for root, dirs, files in os.walk(filename):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(MANIFEST_EXTENSIONS))
        if not recursive:
            break
    return found


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _load_text(ctx: Context, text: str, source: str, validate: bool, loaded: Loaded) -> None:
    for chunk in _documents(text):
        try:
            obj = decoding.load_yaml(chunk)
        except yaml.YAMLError as err:
            loaded.errors.append(f"error parsing {source}: error converting YAML to JSON: {go_yaml_error(err)}")
            return
        except decoding.DecodeError as err:
            loaded.errors.append(f"error parsing {source}: error converting YAML to JSON: yaml: {err}")
            return
        if obj is None:
            continue
        if not isinstance(obj, dict):
            loaded.errors.append(
                f"error parsing {source}: error unmarshaling JSON: while decoding JSON: json: "
                f"cannot unmarshal {_json_kind(obj)} into Go value of type map[string]interface {{}}"
            )
            return
        problem = _missing_type(obj)
        if problem and validate:
            loaded.errors.append(
                f'error validating "{source}": error validating data: {problem} not set; if you '
                "choose to ignore these errors, turn validation off with --validate=false"
            )
            return
        if problem:
            missing = "Kind" if problem == "kind" else "APIVersion"
            loaded.errors.append(
                f"unable to decode \"{source}\": Object '{missing}' is missing in '{compact_json(obj)}'"
            )
            continue
        target = _manifest_target(ctx, obj, source)
        if isinstance(target, str):
            loaded.errors.append(target)
            continue
        loaded.targets.append(target)


def _documents(text: str) -> list[str]:
    """Split a YAML stream at `---` lines, as kubectl's YAMLReader does."""
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---" or line.startswith("--- "):
            chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks


def go_yaml_error(err: yaml.YAMLError) -> str:
    return decoding.go_yaml_error(err)


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", bool: "bool"}.get(type(value), "number")


def _missing_type(obj: dict) -> str:
    if not obj.get("kind"):
        return "kind"
    if not obj.get("apiVersion"):
        return "apiVersion"
    return ""


def _manifest_target(ctx: Context, obj: dict, source: str) -> Target | str:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    try:
        rt = by_kind(str(obj["apiVersion"]), str(obj["kind"]))
    except StatusError:
        return (
            f'resource mapping not found for name: "{meta.get("name", "")}" namespace: '
            f'"{meta.get("namespace", "")}" from "{source}": no matches for kind "{obj["kind"]}" in version '
            f'"{obj["apiVersion"]}"\nensure CRDs are installed first'
        )
    namespace = ""
    if rt.namespaced:
        namespace = meta.get("namespace") or ctx.namespace
        if ctx.namespace_explicit and meta.get("namespace") and meta["namespace"] != ctx.namespace:
            return (
                f'the namespace from the provided object "{meta["namespace"]}" does not match the namespace '
                f"\"{ctx.namespace}\". You must pass '--namespace={meta['namespace']}' to perform this "
                "operation."
            )
    return Target(rt, str(meta.get("name") or ""), namespace, source, obj)


def report(ctx: Context, errors: list[str | StatusError]) -> int:
    """cmdutil.CheckErr: one error as `error: ...`, several one per line; API errors as `Error from server`."""
    if not errors:
        return 0
    if len(errors) == 1 and not isinstance(errors[0], StatusError):
        ctx.stderr.write(f"error: {errors[0]}\n")
        return 1
    for err in errors:
        ctx.stderr.write(_message(err) + "\n")
    return 1


def _message(err: str | StatusError) -> str:
    if isinstance(err, StatusError):
        return f"Error from server ({err.reason}): {err.message}"
    return err


def api_error(err: StatusError, action: str, source: str) -> StatusError:
    """`error when creating "FILE": ...`: a server error about one document of a file."""
    return StatusError(err.code, err.reason, f'error when {action} "{source}": {err.message}', err.details)


# -- visiting ---------------------------------------------------------------
T = TypeVar("T")
Reporter = Callable[[Context, list[str | StatusError]], int]


class Aggregate(Exception):
    """Several errors about one target (utilerrors.Aggregate): reported one message each."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def visit(targets: Iterable[T], act: Callable[[T], object]) -> list[str | StatusError]:
    """resource.Result.Visit, continuing on error: `act` on each target in turn; the errors it raised, in order.

    `act` raises what upstream's visitor function returns: a StatusError is kept as it is (`Error from
    server ...`), a UsageError becomes its text, an Aggregate its messages. Any other exception propagates.
    """
    errors: list[str | StatusError] = []
    for target in targets:
        try:
            act(target)
        except StatusError as err:
            errors.append(err)
        except UsageError as err:
            errors.append(str(err))
        except Aggregate as err:
            errors.extend(err.messages)
    return errors


def for_each(
    ctx: Context,
    targets: Iterable[T],
    act: Callable[[T], object],
    *,
    after: Sequence[str | StatusError] = (),
    check: Reporter = report,
) -> int:
    """`act` on each target (it prints its own success), then every error reported at once; the exit code.

    `after` are errors known before the loop and reported after the targets' (a file's undecodable documents).
    `check` prints them: `report` by default; cmdutil.check_err where a message may already start with
    `error: ` or a status be Invalid (taint).
    """
    return check(ctx, visit(targets, act) + list(after))
