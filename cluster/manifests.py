"""Reading manifests as kubectl does: YAML or JSON, one or many documents.

Each document is parsed on its own, so one bad document in a file is reported
(with its position) while the good ones are still applied, as kubectl apply -f
does. Only yaml.safe_load is used.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Document:
    source: str  # file name or "STDIN"
    index: int  # 0-based position of the document in its source
    object: dict | None  # None when the document could not be read
    error: str = ""


def load_documents(text: str, source: str = "STDIN") -> list[Document]:
    docs: list[Document] = []
    for index, chunk in enumerate(_split(text)):
        try:
            obj = yaml.safe_load(chunk)
        except yaml.YAMLError as err:
            docs.append(Document(source, index, None, f"error parsing {source}: {err}"))
            continue
        if obj is None:
            continue
        if not isinstance(obj, dict):
            docs.append(Document(source, index, None, f"error parsing {source}: expected an object"))
            continue
        docs.append(Document(source, index, obj))
    return docs


def _split(text: str) -> list[str]:
    chunks, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---" or line.startswith("--- "):
            chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks
