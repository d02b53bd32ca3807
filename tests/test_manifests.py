"""Reading manifests like kubectl: documents, JSON, kubectl's error wording, and hostile input."""

from __future__ import annotations

import time

import pytest

from cluster.manifests import MAX_DOCUMENT_BYTES, load_documents


def billion_laughs() -> str:
    text, previous = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n', "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  " + text.replace("\n", "\n  ")


def test_alias_bomb_is_rejected_quickly() -> None:
    started = time.perf_counter()
    [doc] = load_documents(billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert doc.object is None
    assert doc.error == (
        "error parsing bomb.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing"
    )


def test_modest_aliases_still_work() -> None:
    [doc] = load_documents("labels: &l {app: web}\nselector: *l\n", "ok.yaml")
    assert doc.object == {"labels": {"app": "web"}, "selector": {"app": "web"}}


def test_self_referencing_alias_is_rejected() -> None:
    [doc] = load_documents("a: &a [*a]\n", "loop.yaml")
    assert doc.object is None and "anchor refers to itself" in doc.error


def test_oversized_document_is_rejected_naming_it() -> None:
    big = "kind: ConfigMap\ndata:\n  blob: " + "x" * MAX_DOCUMENT_BYTES + "\n"
    docs = load_documents("kind: Namespace\n---\n" + big, "big.yaml")
    assert docs[0].object == {"kind": "Namespace"}
    assert docs[1].object is None
    assert docs[1].error.startswith("error parsing big.yaml: document 2 is ")
    assert "1.5 MiB" in docs[1].error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: y\n",
            "error parsing f.yaml: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this "
            "context",
        ),
        (
            "a:\n\t- b\n",
            "error parsing f.yaml: error converting YAML to JSON: yaml: line 2: found character that "
            "cannot start any token",
        ),
        ("a: *x\n", "error parsing f.yaml: error converting YAML to JSON: yaml: unknown anchor 'x' referenced"),
        (
            "hello\n",
            'unable to decode "f.yaml": json: cannot unmarshal string into Go value of type unstructured.detector',
        ),
    ],
)
def test_errors_read_like_kubectl(text: str, error: str) -> None:
    [doc] = load_documents(text, "f.yaml")
    assert doc.object is None
    assert doc.error == error


def test_line_numbers_count_from_the_start_of_the_document() -> None:
    docs = load_documents("kind: Pod\nmetadata:\n  name: a\n---\nkind: Pod\n  x: 1\n", "m.yaml")
    assert docs[0].object == {"kind": "Pod", "metadata": {"name": "a"}}
    assert docs[1].error == (
        "error parsing m.yaml: error converting YAML to JSON: yaml: line 2: mapping values "
        "are not allowed in this context"
    )
    assert docs[1].index == 1


def test_json_and_separators_are_accepted() -> None:
    text = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}\n---\n--- \nkind: Pod\n'
    docs = load_documents(text, "mixed")
    assert [d.object["kind"] for d in docs] == ["Namespace", "Pod"]
    assert [d.index for d in docs] == [0, 2]


def test_timestamps_stay_strings() -> None:
    [doc] = load_documents("metadata:\n  creationTimestamp: 2024-01-01T00:00:00Z\n", "t.yaml")
    assert doc.object["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
