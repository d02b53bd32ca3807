"""Strategic merge patch's lists (cluster/apiserver/strategic_lists.py): the fast lookups answer as the plain
scans do, and a merge with `$setElementOrder` and `$patch: delete` — what `kubectl apply` sends when one env
entry goes and another comes — orders the list as kubectl's own strategicpatch does.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster.apiserver import strategic, strategic_lists
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from tests.kubectl_local import KUBECTL, patch_locally
from tests.test_strategic_patch import APP, env, pod


def random_env_case(rng: random.Random) -> tuple[dict, dict]:
    """A live env list (names may repeat) and a patch of deletions, merges, new entries and, mostly, the
    `$setElementOrder` list kubectl would send with it."""
    names = [f"E{i}" for i in range(rng.randint(0, 8))]
    live = [{"name": rng.choice(names) if rng.random() < 0.15 else name, "value": "o"} for name in names]
    patch: list[dict] = []
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(names + ["N0", "N1", "N2", "N3"])
        patch.append({"name": name, "$patch": "delete"} if rng.random() < 0.35 else {"name": name, "value": "m"})
    container: dict = {"name": "app", "env": patch}
    if rng.random() < 0.7:
        order = list(dict.fromkeys(p["name"] for p in patch if "$patch" not in p))
        for name in (n for n in names if n not in order and rng.random() < 0.3):
            order.insert(rng.randint(0, len(order)), name)
        container["$setElementOrder/env"] = [{"name": n} for n in order]
    return pod({"containers": [{**APP, "env": live}]}), {"spec": {"containers": [container]}}


def ours_or_refusal(original: dict, patch: dict) -> object:
    try:
        return strategic.apply(lookup("pods"), original, patch)
    except (StatusError, strategic.PatchRejected):
        return "refused"


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl is the oracle")
@pytest.mark.parametrize("seed", range(40))
def test_random_env_patches_come_out_as_kubectls_own_strategicpatch_makes_them(seed, tmp_path):
    """Before the live order was read as upstream reads it, 26 of 300 such cases came out in another order."""
    original, patch = random_env_case(random.Random(seed))
    result = patch_locally(original, patch, "strategic", "json", tmp_path)
    expected = json.loads(result.stdout) if result.returncode == 0 else "refused"
    assert ours_or_refusal(original, patch) == expected, result.stderr


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32))
def test_the_live_order_by_key_is_the_plain_walks(seed):
    """live_list_after_merge (by key, linear) and _live_list_after_merge (the plain walk of upstream's
    shifts and appends) agree."""
    original, patch = random_env_case(random.Random(seed))
    live, wanted = original["spec"]["containers"][0]["env"], patch["spec"]["containers"][0]["env"]
    if any("$patch" not in p and "name" not in p for p in wanted):
        return
    assert strategic_lists.live_list_after_merge(live, wanted, "name") == strategic_lists._live_list_after_merge(
        live, wanted, "name"
    )


KEYS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["a", "b", 1.0]))
ELEMENTS = st.one_of(
    st.dictionaries(st.sampled_from(["name", "port"]), KEYS, max_size=2),
    KEYS,
    st.just({"name": {"nested": 1}}),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(ELEMENTS, max_size=12), ELEMENTS, st.sampled_from(["name", ""]))
def test_positions_find_what_the_plain_scan_finds(items, wanted, merge_key):
    """Positions (a dict of first places) answers as _index_of (a scan) does, before and after the list grows
    and an element is replaced."""
    positions = strategic_lists.Positions(items, merge_key)
    assert positions.index_of(wanted) == strategic_lists._index_of(items, wanted, merge_key)
    items.append(wanted)
    positions.appended()
    assert positions.index_of(wanted) == strategic_lists._index_of(items, wanted, merge_key)
    if items:
        items[0] = {"name": "changed"}
        positions.replaced(0)
        for probe in (wanted, {"name": "changed"}):
            assert positions.index_of(probe) == strategic_lists._index_of(items, probe, merge_key)


def test_a_patch_of_thousands_of_list_elements_never_scans_the_list(monkeypatch):
    """3,000 env entries merged into 3,000 (with deletions and an order) scanned the list once per element:
    14 s for this one patch, and a request body of 3 MiB holds 100,000 entries. Now 0.2 s."""
    scans: list[int] = []
    for scan in ("_index_of", "_go_find"):
        plain = getattr(strategic_lists, scan)
        monkeypatch.setattr(strategic_lists, scan, lambda *args, plain=plain: scans.append(1) or plain(*args))
    live = env(*(f"E{i}" for i in range(3000)))
    new = env(*(f"N{i}" for i in range(3000)), value="n")
    deletions = [{"name": f"E{i}", "$patch": "delete"} for i in range(0, 3000, 3)]
    container = {"name": "app", "env": deletions + new, "$setElementOrder/env": [{"name": e["name"]} for e in new]}
    merged = strategic.apply(
        lookup("pods"), pod({"containers": [{**APP, "env": live}]}), {"spec": {"containers": [container]}}
    )
    names = [e["name"] for e in merged["spec"]["containers"][0]["env"]]
    assert len(names) == 2000 + 3000 and names[:2] == ["E1", "E2"] and "E3" not in names
    assert scans == []
