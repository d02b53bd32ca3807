"""`kubectl get --sort-by` in the page's terminal: kubectl's key order, Go's order for equal keys, kubectl's failures.

The same commands are compared byte for byte with the real kubectl in tests/test_kubectl_compare.py.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.kubectl.gosort import go_sort
from cluster.kubectl.sorting import Unsortable, is_less


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("a", "b", "less"),
    [
        ("web-10", "web-2", True),  # byte by byte, as kubectl v1.32 compares (no natural order yet)
        ("web-2", "web-10", False),
        ("a-56", "a-5d", True),
        ("B", "a", True),  # upper case first
        ("abc", "abcd", True),
        ("100Mi", "1Gi", True),  # both quantities: compared as quantities
        ("500m", "2", True),
        ("2", "10", True),
        ("10", "100Mi", True),
        ("10.244.1.10", "10.244.1.9", True),  # not quantities: byte order
        ("2026-12-04T10:00:09Z", "2026-12-04T10:00:10Z", True),
        (3, 12, True),
        (1.5, 0.5, False),
    ],
)
def test_keys_compare_as_kubectls_isless_compares_them(a: object, b: object, less: bool) -> None:
    assert is_less(a, b) is less


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (True, False, "unsortable type: bool"),
        ([1], [2], "unsortable type: []interface {}"),
        ({"a": 1}, {"a": 2}, "unsortable type: map[string]interface {}"),
        (1, "1", "unsortable interface: interface"),
        (1, 1.5, "unsortable interface: interface"),  # an integer and a float are different Go types
    ],
)
def test_values_kubectl_cannot_order_are_refused_with_its_words(a: object, b: object, message: str) -> None:
    with pytest.raises(Unsortable, match=re.escape(message)):
        is_less(a, b)


# Keys in the order the server listed them, and the order kubectl v1.32 printed them in (ConfigMaps cm-00…
# labelled with these values, `kubectl get cm --sort-by=.metadata.labels.g`): Go's sort.Sort is not stable.
KUBECTL_ORDERS = [
    (
        ["v0", "v1", "v2"] * 6 + ["v0", "v1"],
        [9, 18, 15, 3, 12, 0, 6, 10, 7, 4, 13, 16, 1, 19, 8, 5, 11, 14, 2, 17],
    ),
    (
        "w2 w2 w1 w3 k k k w3 w1 k w2 k k w1 w2 w3 k k".split(),
        [12, 17, 9, 16, 4, 5, 6, 11, 2, 13, 8, 1, 0, 14, 10, 3, 7, 15],
    ),
]


@pytest.mark.parametrize(("keys", "printed"), KUBECTL_ORDERS)
def test_equal_keys_come_out_in_the_order_kubectl_prints_them(keys: list[str], printed: list[int]) -> None:
    items = list(enumerate(keys))
    go_sort(items, lambda a, b: a[1] < b[1])
    assert [i for i, _ in items] == printed


@given(st.lists(st.integers(0, 6), max_size=300))
def test_go_sort_orders_every_list(keys: list[int]) -> None:
    items = list(enumerate(keys))
    go_sort(items, lambda a, b: a[1] < b[1])
    assert [k for _, k in items] == sorted(keys)
    if len(keys) <= 12:  # insertion sort: equal keys keep their order
        assert items == sorted(enumerate(keys), key=lambda item: item[1])


@pytest.fixture
def shop(api: APIServer) -> APIServer:
    clock.set_speed(api.cluster, 0)
    for name, tier in [("web-10", "b"), ("web-2", "a"), ("web-1", "c")]:
        api.create(
            "pods",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": {"tier": tier}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        )
    return api


def test_rows_follow_the_field(shop: APIServer) -> None:
    code, out, _ = kubectl(shop, "get", "pods", "--sort-by=.metadata.labels.tier", "-o", "name")
    assert (code, out) == (0, "pod/web-2\npod/web-10\npod/web-1\n")
    code, out, _ = kubectl(shop, "get", "pods", "--sort-by=.metadata.name")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["web-1", "web-10", "web-2"]  # kubectl 1.32: bytes


def test_a_field_no_row_has_prints_nothing_as_kubectl_does(shop: APIServer) -> None:
    # kubectl's table printer fails, and kubectl get does not report a printer's error
    assert kubectl(shop, "get", "pods", "--sort-by=.metadata.nothing") == (
        0,
        "",
        "No resources found in default namespace.\n",
    )
    assert kubectl(shop, "get", "pods", "-o", "name", "--sort-by=.metadata.nothing") == (
        1,
        "",
        'error: couldn\'t find any field with path "{.metadata.nothing}" in the list of objects\n',
    )


def test_several_resource_types_cannot_be_sorted_by_name(shop: APIServer) -> None:
    code, out, err = kubectl(shop, "get", "pods,svc", "--sort-by=.metadata.name")
    assert (code, out) == (1, "")
    assert err == 'error: couldn\'t find any field with path "{.metadata.name}" in the list of objects\n'


def test_a_list_field_ends_kubectl_with_its_fatal_line(shop: APIServer) -> None:
    code, out, err = kubectl(shop, "get", "pods", "--sort-by=.spec.containers")
    assert (code, out) == (1, "")
    assert re.fullmatch(
        r"F\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ sorter\.go:375\] "
        r"Field \{\.spec\.containers\} in \[\]\[\]\[\]reflect\.Value is an unsortable type: "
        r"interface, err: unsortable type: \[\]interface \{\}\n",
        err,
    ), err
