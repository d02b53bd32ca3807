"""The schema validators kept on disk (cluster/apiserver/validation/compiled.py) against fastjsonschema's own
compile: the same objects accepted, the same refused with the same message; a second process loads the cached
bytecode instead of compiling, and a damaged cache file is written again."""

from __future__ import annotations

import fastjsonschema
import pytest

from cluster.apiserver.resources import lookup
from cluster.apiserver.validation import compiled, schema

HANDLERS = {"https": lambda _uri: schema.definitions()}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
}
CASES = [
    ("pods", POD),
    ("pods", {**POD, "spec": {"containers": [{"name": "web", "image": 7}]}}),
    ("pods", {**POD, "spec": {"containers": "nginx"}}),
    ("pods", {**POD, "spec": {**POD["spec"], "restartPolicy": ["Always"]}}),
    ("pods", {**POD, "metadata": {"name": "web", "labels": {"app": 1}}}),
    ("deployments", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}),
    (
        "deployments",
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "three", "selector": {}, "template": {}}},
    ),
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}),
    ("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": 1}}),
    ("configmaps", {"apiVersion": "v2", "kind": "ConfigMap"}),
    ("events", {"apiVersion": "v1", "kind": "Event", "count": "x", "involvedObject": {}}),
]


def outcome(validate, obj) -> str:
    try:
        validate(obj)
    except fastjsonschema.JsonSchemaException as err:
        return f"refused: {err.message}"
    return "accepted"


@pytest.mark.parametrize("resource, obj", CASES)
def test_a_cached_validator_answers_as_fastjsonschemas_own_compile(resource, obj, tmp_path, settings):
    kind = schema.kind_schema(lookup(resource))
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(tmp_path)
    written = compiled.validator(kind, HANDLERS)  # compiles and writes
    loaded = compiled.validator(kind, HANDLERS)  # reads back
    plain = fastjsonschema.compile(kind, handlers=HANDLERS, use_formats=False)
    assert outcome(written, obj) == outcome(loaded, obj) == outcome(plain, obj)


def test_the_refusals_in_the_table_are_refusals():
    plain = {
        r: fastjsonschema.compile(schema.kind_schema(lookup(r)), handlers=HANDLERS, use_formats=False) for r, _ in CASES
    }
    answers = [outcome(plain[r], obj) for r, obj in CASES]
    assert answers.count("accepted") == 2 and all(a.startswith("refused: data") for a in answers if a != "accepted")


def test_a_second_process_loads_the_bytecode_instead_of_compiling(tmp_path, settings, monkeypatch):
    kind = schema.kind_schema(lookup("configmaps"))
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(tmp_path / "cache")
    compiled.validator(kind, HANDLERS)
    (cached,) = (tmp_path / "cache").iterdir()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(fastjsonschema, "compile_to_code", no_compiling)
    assert outcome(compiled.validator(kind, HANDLERS), {"data": {"k": 1}}).startswith("refused")
    cached.write_bytes(b"not bytecode")  # a damaged file is compiled and written again
    monkeypatch.undo()
    assert outcome(compiled.validator(kind, HANDLERS), {"data": {"k": "v"}}) == "accepted"
    assert cached.read_bytes() != b"not bytecode"


def test_without_a_cache_directory_each_process_compiles(settings, monkeypatch):
    settings.KUBECLASS_SCHEMA_CACHE_DIR = ""
    calls = []
    real = fastjsonschema.compile
    monkeypatch.setattr(fastjsonschema, "compile", lambda *a, **k: calls.append(1) or real(*a, **k))
    compiled.validator(schema.kind_schema(lookup("configmaps")), HANDLERS)
    assert calls == [1]


def test_a_directory_others_may_write_to_is_not_used(tmp_path, settings):
    """What is loaded from the cache runs as code: a group- or world-writable directory is passed over."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(shared)
    assert compiled.cache_dir() is None
    assert (
        outcome(compiled.validator(schema.kind_schema(lookup("configmaps")), HANDLERS), {"data": {"k": 1}})
        != "accepted"
    )
    assert list(shared.iterdir()) == []
    shared.chmod(0o700)
    assert compiled.cache_dir() == shared


def test_a_change_in_the_definitions_a_schema_refers_to_is_a_new_cache_entry(tmp_path, settings):
    """The compiled code holds the referenced definitions too: other definitions, another file."""
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(tmp_path)
    kind = schema.kind_schema(lookup("configmaps"))
    definitions = schema.definitions()
    compiled.validator(kind, HANDLERS, referenced=(definitions,))
    compiled.validator(kind, HANDLERS, referenced=(definitions,))
    assert len(list(tmp_path.iterdir())) == 1
    changed = {**definitions, "$comment": "another release"}
    compiled.validator(kind, HANDLERS, referenced=(changed,))
    assert len(list(tmp_path.iterdir())) == 2


def test_a_cache_that_refuses_the_write_costs_the_compile_not_the_request(tmp_path, settings):
    """Checked as root too, who may write anywhere: a file where the directory should be, a directory where the
    cached file should be."""
    kind = schema.kind_schema(lookup("configmaps"))
    (tmp_path / "a-file").write_text("")
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(tmp_path / "a-file" / "cache")
    assert compiled.cache_dir() is None
    assert outcome(compiled.validator(kind, HANDLERS), {"data": {"k": 1}}).startswith("refused")
    settings.KUBECLASS_SCHEMA_CACHE_DIR = str(tmp_path / "cache")
    compiled.validator(kind, HANDLERS)
    (cached,) = (tmp_path / "cache").iterdir()
    cached.unlink()
    (cached / "in-the-way").mkdir(parents=True)  # neither loaded nor replaced
    assert outcome(compiled.validator(kind, HANDLERS), {"data": {"k": "v"}}) == "accepted"
    assert cached.is_dir()
