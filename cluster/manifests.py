"""Reading manifests as kubectl does: YAML or JSON, one or many documents.

Each document is parsed on its own, so one bad document in a file is reported
(with its position) while the good ones are still applied, as kubectl apply -f
does. Errors read like kubectl's (`error parsing FILE: error converting YAML to
JSON: yaml: line 3: ...`), with line numbers counted inside the document, as
kubectl counts them.

Hardening: documents are decoded by cluster/decoding.py, as the API server
decodes request bodies (a safe loader, timestamps kept as strings, aliasing
and depth refused as go-yaml refuses them, lone surrogates replaced as Go
replaces them), and a document over 1.5 MiB (etcd's request limit) is
refused naming the document.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from cluster import decoding

MAX_DOCUMENT_BYTES = 3 * 1024 * 1024 // 2  # 1.5 MiB, etcd's default request size limit
_DECODE_TARGET = "unstructured.detector"


@dataclass(frozen=True)
class Document:
    source: str  # file name or "STDIN"
    index: int  # 0-based position of the document in its source
    object: dict | None  # None when the document could not be read
    error: str = ""


class ManifestError(Exception):
    """A document that cannot be read; the message is kubectl's."""


def load_documents(text: str, source: str = "STDIN") -> list[Document]:
    docs: list[Document] = []
    for index, chunk in enumerate(_split(text)):
        try:
            obj = parse_document(chunk, source, index)
        except ManifestError as err:
            docs.append(Document(source, index, None, str(err)))
            continue
        if obj is None:
            continue
        docs.append(Document(source, index, obj))
    return docs


def parse_document(chunk: str, source: str, index: int) -> dict | None:
    """One document as a dict (None when empty), or ManifestError in kubectl's words."""
    size = len(chunk.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise ManifestError(
            f"error parsing {source}: document {index + 1} is {size} bytes, over the "
            f"{MAX_DOCUMENT_BYTES}-byte (1.5 MiB) limit of an object in etcd"
        )
    stripped = chunk.lstrip()
    if stripped.startswith("{"):
        try:
            obj = decoding.load_json(stripped)
        except decoding.DecodeError:
            obj = _yaml(chunk, source)  # JSON is YAML; let the YAML parser say where it breaks
    else:
        obj = _yaml(chunk, source)
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ManifestError(
            f'unable to decode "{source}": json: cannot unmarshal {_json_word(obj)} into Go value '
            f"of type {_DECODE_TARGET}"
        )
    return obj


def _json_word(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "number"


def _yaml(chunk: str, source: str) -> object:
    try:
        return decoding.load_yaml(chunk)
    except yaml.YAMLError as err:
        raise ManifestError(
            f"error parsing {source}: error converting YAML to JSON: {decoding.go_yaml_error(err)}"
        ) from None
    except decoding.DecodeError as err:
        raise ManifestError(f"error parsing {source}: error converting YAML to JSON: yaml: {err}") from None


def _split(text: str) -> list[str]:
    """Documents split on `---` lines, as kubectl's YAML reader splits them."""
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---" or line.startswith("--- "):
            chunks.append("".join(current))
            rest = line[4:] if line.startswith("--- ") else ""
            current = [rest] if rest.strip() else []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks
