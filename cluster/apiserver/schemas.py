"""The Kubernetes v1.32 schema definitions kubernetes-validate ships, loaded once.

They carry what kube-apiserver's OpenAPI carries: descriptions, and the
x-kubernetes-patch-strategy / patch-merge-key extensions that strategic merge
patch (server side) and kubectl apply's three-way merge (client side) follow.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

SCHEMA_VERSION = "v1.32.0-local"


@functools.cache
def definitions() -> dict[str, dict]:
    path = resources.files("kubernetes_validate") / "kubernetes-json-schema" / SCHEMA_VERSION / "_definitions.json"
    return json.loads(path.read_text(encoding="utf-8"))["$defs"]


def resolve(schema: dict | None) -> dict | None:
    """Follow `$ref`s to the definition they name."""
    while schema is not None and "$ref" in schema:
        schema = definitions().get(schema["$ref"].rsplit("/", 1)[-1])
    return schema
