"""fastjsonschema's validators, kept on disk from one process to the next.

fastjsonschema turns a kind's JSON Schema into Python source and compiles it.
For a Pod that source is 1.9 MB (a Deployment or a ReplicaSet carries a pod
template, so theirs is as large): about 90 ms to generate and 220 ms for
Python to compile, paid by every process the first time it checks the kind —
most of a fresh server's answer to its first `kubectl create deployment`, and
of every test process's first pod.

`validator` compiles the generated source once and writes its bytecode, as a
.pyc holds a module's, into the schema cache directory
(KUBECLASS_SCHEMA_CACHE_DIR, default var/cache/schemas), named after a digest of
the schema and the definitions it refers to, fastjsonschema's version and
Python's bytecode format; a later process loads it in a few milliseconds.
(Importing the source as a module would leave the bytecode to Python's own
cache, which PYTHONDONTWRITEBYTECODE turns off.) A directory it cannot use —
not configured, writable by others, or refusing the write — leaves the plain
path, `fastjsonschema.compile` in each process; tests/test_schema_cache.py
checks that both accept and refuse the same objects with the same messages.

Simplified: the cache is never pruned; a new schema or fastjsonschema version
gets a new name, and the old files stay until someone removes them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import marshal
import os
import re
from pathlib import Path
from typing import Any, Callable

import fastjsonschema
import orjson
from django.conf import settings

log = logging.getLogger(__name__)
Validator = Callable[[Any], object]
Handlers = dict[str, Callable[[str], dict]]
_ENTRY = re.compile(r"^def (validate_\w+)\(", re.MULTILINE)  # the generated source defines the schema's own first


def validator(schema: dict, handlers: Handlers, referenced: tuple[dict, ...] = ()) -> Validator:
    """The compiled validator of `schema`, from the cache when a directory is configured. `referenced`: the
    documents the handlers resolve references into, which the compiled code depends on as much."""
    directory = cache_dir()
    if directory is None:
        return fastjsonschema.compile(schema, handlers=handlers, use_formats=False)
    path = directory / f"schema_{_digest(schema, *referenced)}.bin"
    if path.exists():
        try:
            return _load(path)
        except Exception:  # unreadable (cut short by a full disk, written by another Python): written again below
            pass
    data = _compiled(schema, handlers)
    try:
        _write(path, data)
    except OSError as err:  # a full disk or a read-only directory costs the compile, never a request
        log.warning("could not keep a schema validator in %s: %s", directory, err)
    return _validator(data)


def cache_dir() -> Path | None:
    """The configured directory, created if need be; None (compile afresh) when others could write to it, since
    what is loaded from it runs as code."""
    configured = getattr(settings, "KUBECLASS_SCHEMA_CACHE_DIR", None)
    if not configured:
        return None
    directory = Path(configured)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = directory.stat()
    except OSError as err:
        log.warning("not caching schema validators in %s: %s", directory, err)
        return None
    if status.st_uid != os.getuid() or status.st_mode & 0o022:
        log.warning("not caching schema validators in %s: another user may write to it", directory)
        return None
    return directory


def _digest(*documents: dict) -> str:
    """Names change with the schemas, fastjsonschema's version and the bytecode's format (Python's magic
    number)."""
    digest = hashlib.sha256(fastjsonschema.VERSION.encode() + importlib.util.MAGIC_NUMBER)
    for document in documents:
        digest.update(orjson.dumps(document, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()[:32]


def _compiled(schema: dict, handlers: Handlers) -> bytes:
    """The generated module's bytecode and the name of its entry point (the first function it defines), as a
    .pyc holds a module's bytecode."""
    source = fastjsonschema.compile_to_code(schema, handlers=handlers, use_formats=False)
    entry = _ENTRY.search(source)
    assert entry is not None, "fastjsonschema generated no validator"
    return marshal.dumps((entry.group(1), compile(source, "<fastjsonschema>", "exec")))


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: another process may be loading the same name."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)


def _load(path: Path) -> Validator:
    return _validator(path.read_bytes())


def _validator(data: bytes) -> Validator:
    entry, code = marshal.loads(data)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the module fastjsonschema generated, as compile() itself runs it
    return namespace[entry]
