"""`kubectl explain RESOURCE[.field.path] [--recursive]`, laid out as kubectl v1.32's plaintext template.

kubectl renders the OpenAPI v3 schema the server publishes through
pkg/explain/v2/templates/plaintext.tmpl: GROUP/KIND/VERSION, then FIELD for
a field path, DESCRIPTION wrapped at 76 columns (the field's own words, then
its type's), and FIELDS with each field's type guess (`<[]Container>`,
`<map[string]string>`, `<ObjectMeta>`) and description. The schemas here are
the Kubernetes v1.32 definitions kubernetes-validate ships, which are the
ones kube-apiserver v1.32 publishes. Simplified: no enum lines (the bundled
definitions carry enums only for apiVersion and kind).
"""

from __future__ import annotations

from cluster.apiserver.resources import ResourceType
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.targets import resource_type
from cluster.apiserver.schemas import definitions
from cluster.kubectl.threeway import schema_for


@verb("explain")
def explain(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(
            args, fl.flags("output", extra=(Flag("recursive", "bool", False), Flag("api-version", "string", "")))
        )
        if not parsed.positional:
            raise UsageError(
                'You must specify the type of resource to explain. Use "kubectl api-resources" '
                "for a complete list of supported resources."
            )
        resource, *path = parsed.positional[0].split(".")
        try:
            rt = resource_type(resource)
        except UsageError as err:
            ctx.stderr.write(f"{err}\n")
            return 1
        ctx.stdout.write(header(rt))
        ctx.stdout.write(render(rt, path, bool(parsed["recursive"])))
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    return 0


def header(rt: ResourceType) -> str:
    return (f"GROUP:      {rt.group}\n" if rt.group else "") + f"KIND:       {rt.kind}\nVERSION:    {rt.version}\n\n"


def render(rt: ResourceType, path: list[str], recursive: bool) -> str:
    """Everything after the header; kubectl prints the header even when the field does not exist."""
    body = _output(_normalized(schema_for(rt)), path, recursive, set())
    if body is None:
        raise UsageError(f'field "{path[-1]}" does not exist')
    return body + "\n"


def _normalized(schema: dict | None) -> dict:
    """A `$ref` beside other keys reads as OpenAPI v3's `allOf: [{$ref}]`, as the server publishes it."""
    if not schema:
        return {}
    if "$ref" in schema and len(schema) > 1:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**rest, "allOf": [{"$ref": schema["$ref"]}]}
    return schema


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if not ref:
        return schema
    return definitions().get(ref.rsplit("/", 1)[-1]) or schema


def _output(schema: dict, path: list[str], recursive: bool, history: set[str]) -> str | None:
    ref = schema.get("$ref", "")
    resolved = _resolve(schema)
    if not path:
        text = "DESCRIPTION:\n" + _indent(wrap(_description(schema) or "<empty>", 76), 4) + "\n"
        fields = _field_list(schema, 1, recursive, set())
        return text + ("FIELDS:\n" + fields if fields else "")
    if ref and ref in history:
        return None
    history = history | {ref} if ref else history
    properties = resolved.get("properties") or {}
    if path[0] in properties:
        sub = _normalized(properties[path[0]])
        head = f"FIELD: {path[0]} <{type_guess(sub)}>\n\n\n" if len(path) == 1 else ""
        rest = _output(sub, path[1:], recursive, set())
        return None if rest is None else head + rest
    if resolved.get("items"):
        return _output(_normalized(resolved["items"]), path, recursive, history)
    if isinstance(resolved.get("additionalProperties"), dict):
        return _output(_normalized(resolved["additionalProperties"]), path, recursive, history)
    for sub in resolved.get("allOf") or []:
        found = _output(_normalized(sub), path, recursive, history)
        if found:
            return found
    return None


def _description(schema: dict) -> str:
    resolved = _resolve(schema)
    text = resolved.get("description", "") + "\n" if resolved.get("description") else ""
    for sub in resolved.get("allOf") or []:
        text += _description(sub)
    if isinstance(resolved.get("items"), dict):
        text += _description(_normalized(resolved["items"]))
    if isinstance(resolved.get("additionalProperties"), dict):
        text += _description(_normalized(resolved["additionalProperties"]))
    return text


def _field_list(schema: dict, level: int, recursive: bool, history: set[str]) -> str:
    ref = schema.get("$ref", "")
    if ref and ref in history:
        return ""
    history = history | {ref}
    resolved = _resolve(schema)
    out = ""
    for name in sorted(resolved.get("properties") or {}):
        field = _normalized(resolved["properties"][name])
        out += _field_detail(name, field, name in (resolved.get("required") or []), level, recursive)
        if recursive:
            out += _field_list(field, level + 1, recursive, history)
    for sub in resolved.get("allOf") or []:
        out += _field_list(sub, level, recursive, history)
    if isinstance(resolved.get("items"), dict):
        out += _field_list(_normalized(resolved["items"]), level, recursive, history)
    if isinstance(resolved.get("additionalProperties"), dict):
        out += _field_list(_normalized(resolved["additionalProperties"]), level, recursive, history)
    return out


def _field_detail(name: str, field: dict, required: bool, level: int, short: bool) -> str:
    indent = level * 2
    line = " " * indent + f"{name}\t<{type_guess(field)}>" + (" -required-" if required else "") + "\n"
    if short:
        return line
    return line + _indent(wrap(field.get("description") or "<no description>", 78 - indent), indent + 2) + "\n\n"


def type_guess(schema: dict) -> str:
    if schema.get("items"):
        return "[]" + type_guess(_normalized(schema["items"]))
    if isinstance(schema.get("additionalProperties"), dict):
        return "map[string]" + type_guess(_normalized(schema["additionalProperties"]))
    if schema.get("allOf") and not schema.get("properties") and len(schema["allOf"]) == 1:
        return type_guess(schema["allOf"][0])
    if schema.get("$ref"):
        target = _resolve(schema)
        kind = _type(target)
        if target is schema or not kind or kind == "object":
            return schema["$ref"].rsplit("/", 1)[-1].rsplit(".", 1)[-1] or "Object"
        return kind
    kind = _type(schema)
    return "Object" if kind in ("object", "") else kind


def _type(schema: dict) -> str:
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "")
    return kind


def _indent(text: str, amount: int) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


def wrap(text: str, limit: int) -> str:
    """mitchellh/go-wordwrap's WrapString: break at spaces, never inside a word."""
    out, spaces, word, current = [], "", "", 0
    for ch in text:
        if ch == "\n":
            if not word and current + len(spaces) > limit:
                current = 0
            else:
                current += len(spaces) + len(word)
                out.append(spaces + word)
            spaces = word = ""
            out.append("\n")
            current = 0
        elif ch.isspace() and ch != "\u00a0":
            if not spaces or word:
                current += len(spaces) + len(word)
                out.append(spaces + word)
                spaces = word = ""
            spaces += ch
        else:
            word += ch
            if current + len(spaces) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                spaces = ""
    if not word:
        if current + len(spaces) <= limit:
            out.append(spaces)
    else:
        out.append(spaces + word)
    return "".join(out)
