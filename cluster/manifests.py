"""Reading manifests as kubectl does: YAML or JSON, one or many documents.

Each document is parsed on its own, so one bad document in a file is reported
(with its position) while the good ones are still applied, as kubectl apply -f
does. Errors read like kubectl's (`error parsing FILE: error converting YAML to
JSON: yaml: line 3: ...`), with line numbers counted inside the document, as
kubectl counts them.

Hardening: only a SafeLoader is used; timestamps stay strings (as
sigs.k8s.io/yaml leaves them); alias expansion is measured on the composed
node graph before anything is built, so a "billion laughs" document is refused
in microseconds ("document contains excessive aliasing", go-yaml's words), and
a document over 1.5 MiB (etcd's request limit) is refused naming the document.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

MAX_DOCUMENT_BYTES = 3 * 1024 * 1024 // 2  # 1.5 MiB, etcd's default request size limit
MAX_EXPANDED_NODES = 100_000  # nodes a document may grow to once its aliases are expanded
_DECODE_TARGET = "unstructured.detector"


@dataclass(frozen=True)
class Document:
    source: str  # file name or "STDIN"
    index: int  # 0-based position of the document in its source
    object: dict | None  # None when the document could not be read
    error: str = ""


class ManifestError(Exception):
    """A document that cannot be read; the message is kubectl's."""


class _Loader(yaml.SafeLoader):
    """SafeLoader whose timestamps stay strings, as they do when kubectl converts YAML to JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# PyYAML's wording where go-yaml (which kubectl uses) says it differently.
_GO_YAML_WORDS = (
    (re.compile(r"mapping values are not allowed here"), "mapping values are not allowed in this context"),
    (re.compile(r"found character '.*' that cannot start any token"), "found character that cannot start any token"),
    (re.compile(r"found undefined alias '?([^']*)'?"), r"unknown anchor '\1' referenced"),
    (re.compile(r"expected <block end>, but found '-'"), "did not find expected key"),
    (re.compile(r"expected <block end>, but found .*"), "did not find expected key"),
)


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
        raise ManifestError(f"error parsing {source}: document {index + 1} is {size} bytes, over the "
                            f"{MAX_DOCUMENT_BYTES}-byte (1.5 MiB) limit of an object in etcd")
    stripped = chunk.lstrip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = _yaml(chunk, source)  # JSON is YAML; let the YAML parser say where it breaks
    else:
        obj = _yaml(chunk, source)
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ManifestError(f'unable to decode "{source}": json: cannot unmarshal {_json_word(obj)} into Go value '
                            f"of type {_DECODE_TARGET}")
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
    loader = _Loader(chunk)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise ManifestError(f"error parsing {source}: error converting YAML to JSON: {_go_yaml(err)}") from None
    finally:
        loader.dispose()


def _go_yaml(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None) or str(err)
    for pattern, words in _GO_YAML_WORDS:
        if pattern.search(problem):
            problem = pattern.sub(words, problem)
            break
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None and not problem.startswith("unknown anchor"):  # go-yaml names no line for these
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse documents whose aliases would expand past MAX_EXPANDED_NODES (or refer to themselves)."""
    sizes: dict[int, int] = {}
    pending: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done:
            pending.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise ManifestError(f"error parsing {source}: error converting YAML to JSON: yaml: document "
                                    "contains excessive aliasing")
            continue
        if key in pending:
            raise ManifestError(f"error parsing {source}: error converting YAML to JSON: yaml: anchor refers "
                                "to itself")
        pending.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _split(text: str) -> list[str]:
    """Documents split on `---` lines, as kubectl's YAML reader splits them."""
    chunks, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---" or line.startswith("--- "):
            chunks.append("".join(current))
            rest = line[4:] if line.startswith("--- ") else ""
            current = [rest] if rest.strip() else []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks
