"""The scheduler's formulas, as upstream's: scores, normalization, pod requests, fit errors and tie-breaking."""

from __future__ import annotations

import random

import pytest

from cluster.scheduler.diagnosis import fit_error
from cluster.scheduler.framework import Status, default_normalize_score, pod_requests
from cluster.scheduler.plugins.balanced_allocation import balanced_resource_score
from cluster.scheduler.plugins.node_resources_fit import least_allocated_score
from cluster.scheduler.scheduler import select_host
from tests import scheduler_common
from tests.scheduler_common import NODE_CPU, NODE_MEMORY, GI, MI

cluster = scheduler_common.cluster  # the fixture


# -- formulas -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "requested, allocatable, expected",
    [
        # (2000-100)*100//2000 = 95; (8203210752-209715200)*100//8203210752 = 97; (95+97)//2
        ({"cpu": 100, "memory": 200 * MI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 96),
        # 50 and 3908243456*100//8203210752 = 47 -> 97//2
        ({"cpu": 1000, "memory": 4 * GI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 48),
        # more cpu requested than the node has scores 0 for cpu; memory untouched scores 100
        ({"cpu": 2500, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 50),
        ({"cpu": 3000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 37),
        ({"cpu": 0, "memory": 0}, {"cpu": 4000, "memory": 10000}, 100),
    ],
)
def test_least_allocated_scores_free_capacity_as_upstream(requested: dict, allocatable: dict, expected: int) -> None:
    assert least_allocated_score(requested, allocatable) == expected


@pytest.mark.parametrize(
    "requested, allocatable, expected",
    [
        ({"cpu": 0, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 100),
        # fractions 0.5 and 0.52357: std 0.01178 -> 98.82 truncated
        ({"cpu": 1000, "memory": 4 * GI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 98),
        # fractions 1 and 0: std 0.5
        ({"cpu": 2000, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 50),
        # fraction capped at 1: 1 and 0.5 -> std 0.25
        ({"cpu": 9000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 75),
        ({"cpu": 3000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 87),
    ],
)
def test_balanced_allocation_scores_one_minus_std_dev(requested: dict, allocatable: dict, expected: int) -> None:
    assert balanced_resource_score(requested, allocatable) == expected


@pytest.mark.parametrize(
    "raw, reverse, expected",
    [
        ([0, 1, 2], True, [100, 50, 0]),  # TaintToleration: fewest taints wins
        ([1, 3, 2], True, [67, 0, 34]),
        ([0, 0], True, [100, 100]),
        ([0, 5, 10], False, [0, 50, 100]),  # NodeAffinity preferred weights
        ([0, 0], False, [0, 0]),
        ([], True, []),
    ],
)
def test_default_normalize_score_scales_to_the_highest(raw: list, reverse: bool, expected: list) -> None:
    default_normalize_score(raw, reverse)
    assert raw == expected


@pytest.mark.parametrize(
    "spec, non_zero, expected",
    [
        ({"containers": [{"name": "a"}]}, False, {}),
        ({"containers": [{"name": "a"}]}, True, {"cpu": 100, "memory": 200 * MI}),
        (
            {"containers": [{"name": "a", "resources": {"requests": {"cpu": "250m"}}}]},
            True,
            {"cpu": 250, "memory": 200 * MI},
        ),
        # a regular init container needs max(sum of containers, itself)
        (
            {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "200m"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "300m"}}},
                ],
                "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "800m"}}}],
            },
            False,
            {"cpu": 800},
        ),
        # a sidecar (restartPolicy Always) adds to the containers and to later init containers
        (
            {
                "containers": [{"name": "a", "resources": {"requests": {"cpu": "200m"}}}],
                "initContainers": [
                    {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
                    {"name": "i", "resources": {"requests": {"cpu": "500m"}}},
                ],
            },
            False,
            {"cpu": 600},
        ),
    ],
)
def test_pod_requests_follow_the_init_container_rules(spec: dict, non_zero: bool, expected: dict) -> None:
    assert pod_requests({"spec": spec}, non_zero) == expected


def test_fit_error_sorts_reason_counts_as_strings() -> None:
    statuses = {f"n{i}": Status("Unschedulable", ["Insufficient cpu"]) for i in range(10)}
    statuses.update(
        {"m1": Status("Unschedulable", ["Too many pods"]), "m2": Status("Unschedulable", ["Too many pods"])}
    )
    assert fit_error(12, statuses) == "0/12 nodes are available: 10 Insufficient cpu, 2 Too many pods."


def test_tied_nodes_are_chosen_uniformly_and_reproducibly() -> None:
    places, totals = [2, 3, 0, 1], [300, 10, 300, 300]  # as a cycle that began at place 2 scored them
    rng = random.Random("seed")
    picks = [select_host(places, totals, rng) for _ in range(3000)]
    counts = {place: picks.count(place) for place in range(4)}
    assert counts[3] == 0
    assert all(900 <= counts[p] <= 1100 for p in (0, 1, 2)), counts
    again = random.Random("seed")
    assert picks[:50] == [select_host(places, totals, again) for _ in range(50)]
    # the tied nodes are sampled in the order of their places (their names), not in the order found
    in_place_order = random.Random("seed")
    assert picks[:50] == [select_host([0, 1, 2, 3], [300, 300, 300, 10], in_place_order) for _ in range(50)]
