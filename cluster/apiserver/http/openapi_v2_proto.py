"""The Swagger 2.0 document in protobuf: gnostic's openapi_v2.Document, as kube-apiserver serves /openapi/v2.

kube-openapi turns its JSON document into gnostic's messages
(github.com/google/gnostic-models/openapiv2/OpenAPIv2.proto) and marshals
them; client-go's DiscoveryClient.OpenAPISchema asks for exactly that and
unmarshals it with proto.Unmarshal. This writes the same messages for the parts
of a document kubeclass produces (openapi_v2.py): info, paths with their
operations, query/path/body parameters and responses, definitions with every
Schema keyword the upstream schemas use, security. Vendor extensions (`x-…`),
`default`, `example` and `enum` values are gnostic `Any`s holding the value as
YAML text (JSON is YAML, and kube-openapi's readers parse it with a YAML
decoder). Proto3 rules: zero values are not written, field order is by number.
"""

from __future__ import annotations

import json
import struct
from typing import Iterable


# -- wire format --------------------------------------------------------------------------
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten bytes, as Go writes them
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, data: bytes) -> bytes:
    return _key(number, 2) + _varint(len(data)) + data


def _string(number: int, value: object) -> bytes:
    return _bytes(number, str(value).encode()) if value not in (None, "") else b""


def _strings(number: int, values: Iterable[object] | None) -> bytes:
    return b"".join(_bytes(number, str(v).encode()) for v in (values or []))


def _bool(number: int, value: object) -> bytes:
    return _key(number, 0) + b"\x01" if value else b""


def _int(number: int, value: object) -> bytes:
    return _key(number, 0) + _varint(int(value)) if value else b""  # type: ignore[call-overload]


def _double(number: int, value: object) -> bytes:
    return _key(number, 1) + struct.pack("<d", float(value)) if value else b""  # type: ignore[arg-type]


def _message(number: int, data: bytes, always: bool = False) -> bytes:
    return _bytes(number, data) if data or always else b""


# -- gnostic messages -----------------------------------------------------------------------
def _any(value: object) -> bytes:
    """openapi_v2.Any: field 2 `yaml`."""
    return _string(2, json.dumps(value, separators=(",", ":")))


def _named_any(name: str, value: object) -> bytes:
    return _string(1, name) + _message(2, _any(value), always=True)


def _extensions(number: int, node: dict) -> bytes:
    return b"".join(_message(number, _named_any(k, v), always=True) for k, v in node.items() if k.startswith("x-"))


def schema(node: dict) -> bytes:
    """openapi_v2.Schema."""
    out = [
        _string(1, node.get("$ref")),
        _string(2, node.get("format")),
        _string(3, node.get("title")),
        _string(4, node.get("description")),
    ]
    if "default" in node:
        out.append(_message(5, _any(node["default"]), always=True))
    out += [
        _double(6, node.get("multipleOf")),
        _double(7, node.get("maximum")),
        _bool(8, node.get("exclusiveMaximum")),
        _double(9, node.get("minimum")),
        _bool(10, node.get("exclusiveMinimum")),
        _int(11, node.get("maxLength")),
        _int(12, node.get("minLength")),
        _string(13, node.get("pattern")),
        _int(14, node.get("maxItems")),
        _int(15, node.get("minItems")),
        _bool(16, node.get("uniqueItems")),
        _int(17, node.get("maxProperties")),
        _int(18, node.get("minProperties")),
        _strings(19, node.get("required")),
    ]
    out += [_message(20, _any(v), always=True) for v in node.get("enum") or []]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_message(21, _message(1, schema(extra), always=True), always=True))
    elif isinstance(extra, bool):
        out.append(_message(21, _key(2, 0) + (b"\x01" if extra else b"\x00"), always=True))
    kind = node.get("type")
    if kind:
        out.append(_message(22, _strings(1, kind if isinstance(kind, list) else [kind]), always=True))
    items = node.get("items")
    if isinstance(items, dict):
        out.append(_message(23, _message(1, schema(items), always=True), always=True))
    elif isinstance(items, list):
        out.append(_message(23, b"".join(_message(1, schema(i), always=True) for i in items), always=True))
    out += [_message(24, schema(s), always=True) for s in node.get("allOf") or []]
    properties = node.get("properties")
    if properties:
        named = b"".join(
            _message(1, _string(1, name) + _message(2, schema(s), always=True), always=True)
            for name, s in properties.items()
        )
        out.append(_message(25, named, always=True))
    out += [_string(26, node.get("discriminator")), _bool(27, node.get("readOnly"))]
    if "example" in node:
        out.append(_message(30, _any(node["example"]), always=True))
    out.append(_extensions(31, node))
    return b"".join(out)


def _parameter(param: dict) -> bytes:
    """openapi_v2.ParametersItem → Parameter → BodyParameter or NonBodyParameter."""
    where = param.get("in")
    if where == "body":
        body = (
            _string(1, param.get("description"))
            + _string(2, param.get("name"))
            + _string(3, where)
            + _bool(4, param.get("required"))
            + _message(5, schema(param.get("schema") or {}), always=True)
            + _extensions(6, param)
        )
        return _message(1, _message(1, body, always=True), always=True)
    common = (
        _bool(1, param.get("required"))
        + _string(2, where)
        + _string(3, param.get("description"))
        + _string(4, param.get("name"))
    )
    if where == "path":  # PathParameterSubSchema: type 5, format 6, uniqueItems 19, extensions 22
        sub = (
            common
            + _string(5, param.get("type"))
            + _string(6, param.get("format"))
            + _bool(19, param.get("uniqueItems"))
            + _extensions(22, param)
        )
        number = 4
    elif where == "header":  # HeaderParameterSubSchema: the same numbers as a path parameter
        sub = (
            common
            + _string(5, param.get("type"))
            + _string(6, param.get("format"))
            + _bool(19, param.get("uniqueItems"))
            + _extensions(22, param)
        )
        number = 1
    else:  # query (and formData): allowEmptyValue 5, type 6, format 7, uniqueItems 20, extensions 23
        sub = (
            common
            + _bool(5, param.get("allowEmptyValue"))
            + _string(6, param.get("type"))
            + _string(7, param.get("format"))
            + _bool(20, param.get("uniqueItems"))
            + _extensions(23, param)
        )
        number = 2 if where == "formData" else 3
    non_body = _message(number, sub, always=True)
    return _message(1, _message(2, non_body, always=True), always=True)


def _responses(responses: dict) -> bytes:
    """openapi_v2.Responses: NamedResponseValue{name, ResponseValue{response: Response}}."""
    out = b""
    for code, response in responses.items():
        body = _string(1, response.get("description"))
        if "schema" in response:
            body += _message(2, _message(1, schema(response["schema"]), always=True), always=True)
        value = _message(1, body, always=True)
        out += _message(1, _string(1, code) + _message(2, value, always=True), always=True)
    return out


def _operation(op: dict) -> bytes:
    return b"".join(
        [
            _strings(1, op.get("tags")),
            _string(2, op.get("summary")),
            _string(3, op.get("description")),
            _string(5, op.get("operationId")),
            _strings(6, op.get("produces")),
            _strings(7, op.get("consumes")),
            b"".join(_message(8, _parameter(p), always=True) for p in op.get("parameters") or []),
            _message(9, _responses(op.get("responses") or {}), always=True),
            _strings(10, op.get("schemes")),
            _bool(11, op.get("deprecated")),
            _extensions(13, op),
        ]
    )


_PATH_ITEM_FIELDS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(item: dict) -> bytes:
    out = _string(1, item.get("$ref"))
    for verb, number in _PATH_ITEM_FIELDS.items():
        if verb in item:
            out += _message(number, _operation(item[verb]), always=True)
    out += b"".join(_message(9, _parameter(p), always=True) for p in item.get("parameters") or [])
    return out + _extensions(10, item)


def _security_scheme(scheme: dict) -> bytes:
    """SecurityDefinitionsItem: only apiKey (field 2) is written by kube-apiserver."""
    api_key = (
        _string(1, scheme.get("type"))
        + _string(2, scheme.get("name"))
        + _string(3, scheme.get("in"))
        + _string(4, scheme.get("description"))
        + _extensions(5, scheme)
    )
    return _message(2, api_key, always=True)


def encode_document(doc: dict) -> bytes:
    """openapi_v2.Document, marshalled."""
    info = doc.get("info") or {}
    out = [
        _string(1, doc.get("swagger")),
        _message(
            2,
            _string(1, info.get("title")) + _string(2, info.get("version")) + _string(3, info.get("description")),
            always=True,
        ),
        _string(3, doc.get("host")),
        _string(4, doc.get("basePath")),
        _strings(5, doc.get("schemes")),
        _strings(6, doc.get("consumes")),
        _strings(7, doc.get("produces")),
    ]
    paths = b"".join(
        _message(2, _string(1, path) + _message(2, _path_item(item), always=True), always=True)
        for path, item in (doc.get("paths") or {}).items()
    )
    out.append(_message(8, paths, always=True))
    definitions = b"".join(
        _message(1, _string(1, name) + _message(2, schema(s), always=True), always=True)
        for name, s in (doc.get("definitions") or {}).items()
    )
    out.append(_message(9, definitions, always=True))
    for requirement in doc.get("security") or []:
        named = b"".join(
            _message(1, _string(1, name) + _message(2, _strings(1, scopes), always=True), always=True)
            for name, scopes in requirement.items()
        )
        out.append(_message(12, named, always=True))
    schemes = b"".join(
        _message(1, _string(1, name) + _message(2, _security_scheme(s), always=True), always=True)
        for name, s in (doc.get("securityDefinitions") or {}).items()
    )
    if schemes:
        out.append(_message(13, schemes, always=True))
    out.append(_extensions(16, doc))
    return b"".join(out)
