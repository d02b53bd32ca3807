"""Which PersistentVolume fits a claim (pkg/controller/volume/persistentvolume/index.go and
component-helpers' storage/volume helpers).

The binder looks at PVs grouped by their set of access modes, the groups with the
fewest modes first (the closest to what the claim asked for), and in the first
group that has a match takes the smallest PV that is big enough, Available, in
the same StorageClass, of the same volumeMode and selected by the claim's
selector. A PV pre-bound to the claim (claimRef naming it) wins outright.
With WaitForFirstConsumer the binder leaves unbound PVs to the scheduler.
"""

from __future__ import annotations

from decimal import Decimal

from cluster import quantity
from cluster.apiserver.selectors import selector_from_label_selector

BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
ACCESS_MODE_ORDER = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName."""
    annotations = claim["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return annotations[BETA_STORAGE_CLASS]
    return (claim.get("spec") or {}).get("storageClassName") or ""


def volume_class(volume: dict) -> str:
    annotations = volume["metadata"].get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return annotations[BETA_STORAGE_CLASS]
    return (volume.get("spec") or {}).get("storageClassName") or ""


def requested_storage(claim: dict) -> Decimal:
    value = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage", "0")
    return quantity.parse(value)


def capacity(volume: dict) -> Decimal:
    return quantity.parse(((volume.get("spec") or {}).get("capacity") or {}).get("storage", "0"))


def volume_mode_mismatch(claim: dict, volume: dict) -> bool:
    """CheckVolumeModeMismatches: an unset mode means Filesystem on both sides."""
    claim_mode = (claim.get("spec") or {}).get("volumeMode") or "Filesystem"
    return claim_mode != ((volume.get("spec") or {}).get("volumeMode") or "Filesystem")


def access_modes_fit(claim: dict, volume: dict) -> bool:
    """CheckAccessModes: the PV offers every mode the claim asks for."""
    offered = set((volume.get("spec") or {}).get("accessModes") or [])
    return all(mode in offered for mode in (claim.get("spec") or {}).get("accessModes") or [])


def access_modes_key(modes: list[str]) -> str:
    """GetAccessModesAsString: the index key, e.g. `RWO,ROX`."""
    return ",".join(short for mode, short in ACCESS_MODE_ORDER if mode in modes)


def is_bound_to(volume: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: the claimRef names the claim (and its uid, once set)."""
    ref = (volume.get("spec") or {}).get("claimRef")
    meta = claim["metadata"]
    if not ref or ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def find_best_match(claim: dict, volumes: list[dict], delay_binding: bool) -> dict | None:
    """findByClaim: the access-mode groups with the fewest modes first, the smallest fit within a group."""
    wanted = (claim.get("spec") or {}).get("accessModes") or []
    groups: dict[str, list[dict]] = {}
    for volume in volumes:
        modes = (volume.get("spec") or {}).get("accessModes") or []
        groups.setdefault(access_modes_key(modes), []).append(volume)
    keys = [k for k in groups if all(short in k.split(",") for mode, short in ACCESS_MODE_ORDER if mode in wanted)]
    for key in sorted(keys, key=lambda k: (len(k.split(",")), k)):
        match = find_matching_volume(claim, sorted(groups[key], key=lambda v: v["metadata"]["name"]), delay_binding)
        if match is not None:
            return match
    return None


def find_matching_volume(claim: dict, volumes: list[dict], delay_binding: bool) -> dict | None:
    """FindMatchingVolume (without a node: the binder's path, not the scheduler's)."""
    requested, wanted_class = requested_storage(claim), claim_class(claim)
    selector = (claim.get("spec") or {}).get("selector")
    matcher = selector_from_label_selector(selector) if selector is not None else None
    smallest = None
    for volume in volumes:
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref and not is_bound_to(volume, claim):
            continue
        if capacity(volume) < requested or volume_mode_mismatch(claim, volume):
            continue
        if volume["metadata"].get("deletionTimestamp"):
            continue
        if is_bound_to(volume, claim):
            return volume
        if delay_binding:
            continue  # the scheduler binds these once it picks a node
        if (volume.get("status") or {}).get("phase") != "Available":
            continue
        if matcher is not None and not matcher.matches(volume["metadata"].get("labels")):
            continue
        if volume_class(volume) != wanted_class:
            continue
        if smallest is None or capacity(smallest) > capacity(volume):
            smallest = volume
    return smallest


def check_volume_satisfies_claim(volume: dict, claim: dict) -> str | None:
    """checkVolumeSatisfyClaim: why a PV the claim names cannot serve it, or None."""
    if volume["metadata"].get("deletionTimestamp"):
        return f'the volume is marked for deletion "{volume["metadata"]["name"]}"'
    if quantity.units(((volume.get("spec") or {}).get("capacity") or {}).get("storage", "0")) < quantity.units(
        (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage", "0")
    ):
        return "requested PV is too small"
    if volume_class(volume) != claim_class(claim):
        return "storageClassName does not match"
    if volume_mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not access_modes_fit(claim, volume):
        return "incompatible accessMode"
    return None
