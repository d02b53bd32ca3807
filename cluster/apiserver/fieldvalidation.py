"""Field validation: what kube-apiserver does with the unknown and duplicate fields of a request body.

Mirrors k8s.io/apiserver/pkg/endpoints/handlers: create.go and update.go
(a strict decoding error is a 400 `Pod in version "v1" cannot be handled as a
Pod: strict decoding error: unknown field "spec.foo", duplicate field "x"`
through transformDecodeError), patch.go (the same errors are a 422 on the
`patch` field: ` "" is invalid: patch: Invalid value: "{...}": strict decoding
error: ...`), rest.go (fieldValidation: Warn when the request names none;
addStrictDecodingWarnings and parseYAMLWarnings: one `Warning: 299 - "..."`
per problem) and sigs.k8s.io/json's strict errors, met in document order.

Under Warn and Ignore unknown fields are dropped, as decoding into the Go
struct drops them; a repeated key keeps its last value. Wrong types are
errors under every directive.

Simplified: the value a patch error echoes is the patched object with its
top-level keys sorted (jsonpatch re-marshals a map), the rest in kubeclass's
own order rather than Go's struct order.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from cluster.apiserver import gojson
from cluster.apiserver.errors import StatusError, field_error
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation import schema

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"
YAML_SHORT_PREFIX = "yaml: unmarshal errors:\n"
YAML_LONG_PREFIX = "error converting YAML to JSON: yaml: unmarshal errors:\n"
MAX_WARNINGS = 4096  # a request keeps this many warning texts at most

_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("api_warnings", default=None)


@dataclass(frozen=True)
class BodyFindings:
    """What the raw body says that the decoded one no longer can: repeated JSON keys (with the offset of every
    key, to order unknown fields among them) or repeated YAML keys."""

    json_duplicates: gojson.Duplicates | None = None
    yaml_duplicates: tuple[str, ...] = ()


NOTHING = BodyFindings()


def find_in_body(raw: bytes, media_type: str) -> BodyFindings:
    """Repeated keys of a JSON or YAML request body (the common body repeats none and costs one C parse)."""
    if not raw:
        return NOTHING
    if "yaml" in media_type:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return NOTHING
        return BodyFindings(yaml_duplicates=tuple(gojson.yaml_duplicates(text)))
    return BodyFindings(json_duplicates=gojson.duplicates(raw))


# -- warnings -----------------------------------------------------------------------------------
@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the warnings of one request (the HTTP layer sends them as Warning headers)."""
    collected: list[str] = []
    token = _warnings.set(collected)
    try:
        yield collected
    finally:
        _warnings.reset(token)


def add_warning(text: str) -> None:
    """warning.AddWarning: kept once, in order."""
    collected = _warnings.get()
    if collected is not None and text not in collected and len(collected) < MAX_WARNINGS:
        collected.append(text)


def warning_header(texts: list[str]) -> str:
    """The Warning header value: `299 - "text"` per warning (net.NewWarningHeader, its quoting escaping only
    `"` and `\\`), several joined by commas as RFC 7234 allows and client-go's ParseWarningHeaders reads.
    Line breaks go out as spaces, as Go's header writer sends them; other text as its UTF-8 bytes."""

    def quoted(text: str) -> str:
        text = text.replace("\r", " ").replace("\n", " ")
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    value = ", ".join(f"299 - {quoted(t)}" for t in texts)
    return value.encode("utf-8", "replace").decode("latin-1")  # Django sends latin-1: the same bytes


def _add_strict_warnings(errors: list[str]) -> None:
    """addStrictDecodingWarnings with parseYAMLWarnings: a YAML error becomes one warning per line."""
    for text in errors:
        for prefix in (YAML_SHORT_PREFIX, YAML_LONG_PREFIX):
            if text.startswith(prefix):
                for line in text[len(prefix) :].split("\n"):
                    add_warning(line.strip())
                break
        else:
            add_warning(text)


# -- the strict errors of a body ------------------------------------------------------------------
def _strict_errors(found: schema.SchemaErrors, findings: BodyFindings) -> list[str]:
    """Unknown and duplicate fields in the order the strict decoder meets them, then a YAML body's repeated
    keys (the serializer's YAMLToJSONStrict pass runs after decoding)."""
    ordered: list[tuple[int, int, str]] = []
    dups = findings.json_duplicates
    for index, (name, steps) in enumerate(zip(found.unknown, found.unknown_paths)):
        at = dups.first.get(tuple(steps), index) if dups is not None else index
        ordered.append((at, index, f'unknown field "{name}"'))
    if dups is not None:
        seen: set[str] = set()
        for at, path in dups.repeats:
            text = f'duplicate field "{gojson.go_path(path)}"'
            if text not in seen:
                seen.add(text)
                ordered.append((at, 0, text))
    errors = [text for _at, _index, text in sorted(ordered, key=lambda item: (item[0], item[1]))]
    if findings.yaml_duplicates:
        errors.append(YAML_LONG_PREFIX + "\n".join("  " + line for line in findings.yaml_duplicates))
    return errors


def check_body(rt: ResourceType, obj: dict, directive: str, findings: BodyFindings = NOTHING) -> None:
    """A create or update body: a wrong type is a 400 whatever the directive; unknown and duplicate fields are
    a 400 under Strict, warnings under Warn, nothing under Ignore; unknown fields are dropped."""
    found = schema.check(rt, obj)
    prefix = f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
    if found.type_errors:
        raise StatusError.bad_request(prefix + found.type_errors[0][1])
    if directive != IGNORE:
        errors = _strict_errors(found, findings)
        if errors and directive == STRICT:
            raise StatusError.bad_request(prefix + "strict decoding error: " + ", ".join(errors))
        _add_strict_warnings(errors)
    schema.drop_unknown(obj, found)


# -- patches ------------------------------------------------------------------------------------
def patch_error(value: str, message: str) -> StatusError:
    """errors.NewInvalid(schema.GroupKind{}, "", field.Invalid(field.NewPath("patch"), value, message))."""
    return StatusError.invalid("", "", "", [field_error("invalid", "patch", message, value)])


def go_sprint(value: object) -> str:
    """fmt's %+v of what a JSON decoder gives a map[string]interface{}: `map[spec:map[replicas:3]]`."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """%v of a float64: the shortest text, exponent form from 1e21 and below 1e-4."""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{abs(int(exponent)):02d}"
    return text


def _patched_json(obj: dict) -> str:
    """The patched object as jsonpatch hands it back: compact JSON, the top-level keys sorted."""
    from cluster.apiserver.http.codec import encode_json

    return encode_json({k: obj[k] for k in sorted(obj)}).decode()[:-1]


@dataclass
class PatchFindings:
    """The strict errors the patch document itself has (its own repeated keys; for a JSON patch, unknown
    fields of its operations), found before it is applied."""

    errors: list[str] = field(default_factory=list)


def check_patched(
    rt: ResourceType,
    patched: dict,
    directive: str,
    patch_type: str,
    patch_body: object,
    findings: PatchFindings | None = None,
) -> None:
    """The object a patch produced, decoded as patch.go decodes it: for JSON and merge patches the result
    must still be this kind in this version (else the decoder's error, on the `patch` field); a strategic
    merge patch is read into the kind's struct, so a kind or apiVersion it changes is lost. Type errors and,
    under Strict, unknown and duplicate fields are a 422 on `patch`; under Warn they are warnings."""
    from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH

    smp = patch_type == STRATEGIC_MERGE_PATCH

    def value() -> str:
        return go_sprint(patch_body) if smp else _patched_json(patched)

    if smp:
        patched["kind"], patched["apiVersion"] = rt.kind, rt.api_version
    else:
        problem = _kind_problem(rt, patched)
        if problem:
            raise patch_error(value(), problem)
    found = schema.check(rt, patched)
    if found.type_errors:
        raise patch_error(value(), found.type_errors[0][1])
    if directive != IGNORE:
        errors = list(findings.errors if findings else []) + [f'unknown field "{name}"' for name in found.unknown]
        if errors and directive == STRICT:
            raise patch_error(value(), "strict decoding error: " + ", ".join(errors))
        _add_strict_warnings(errors)
    schema.drop_unknown(patched, found)


def _kind_problem(rt: ResourceType, patched: dict) -> str:
    """What the versioning decoder says of a patched document that names another kind or version (an empty
    or missing one is defaulted from the object being patched, as the decoder defaults it)."""
    from cluster.apiserver.resources import by_kind

    for key in ("kind", "apiVersion"):
        if patched.get(key) is not None and not isinstance(patched[key], str):
            return (
                f"couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{_json_word(patched[key])} into Go struct field .{key} of type string"
            )
    kind, api_version = patched.get("kind") or rt.kind, patched.get("apiVersion") or rt.api_version
    patched["kind"], patched["apiVersion"] = kind, api_version
    if (kind, api_version) == (rt.kind, rt.api_version):
        return ""
    try:
        other = by_kind(api_version, kind)
    except StatusError:
        return (
            f'no kind "{kind}" is registered for version "{api_version}" in scheme '
            '"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"'
        )
    internal = rt.group.split(".")[0] if rt.group else "core"
    return f"converting ({other.version}.{other.kind}) to ({internal}.{rt.kind}): unknown conversion"


def not_an_object(patched: object) -> StatusError:
    """A JSON patch that replaced the whole document with a string, a number or a list: the decoder's first
    step (SimpleMetaFactory.Interpret) reads apiVersion and kind into a struct, and Go cannot."""
    from cluster.apiserver.http.codec import encode_json

    target = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
    return patch_error(
        encode_json(patched).decode()[:-1],
        f"couldn't get version/kind; json parse error: json: cannot unmarshal {_json_word(patched)} "
        f"into Go value of type {target}",
    )


def _json_word(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


def json_patch_findings(body: object) -> PatchFindings:
    """kjson.UnmarshalStrict of a JSON patch into []jsonPatchOp: unknown fields of an operation, each
    reported as `json patch unknown field "[0].x"`."""
    known = {"op", "path", "from", "value"}
    errors = []
    if isinstance(body, list):
        for index, op in enumerate(body):
            if isinstance(op, dict):
                errors += [f'json patch unknown field "[{index}].{key}"' for key in op if key not in known]
    return PatchFindings(errors)


def duplicate_errors(findings: BodyFindings, prefix: str = "") -> list[str]:
    """The repeated keys of a patch document, as its strict unmarshal reports them."""
    dups = findings.json_duplicates
    if dups is None:
        return []
    texts: list[str] = []
    for _at, path in dups.repeats:
        text = f'{prefix}duplicate field "{gojson.go_path(path)}"'
        if text not in texts:
            texts.append(text)
    return texts
