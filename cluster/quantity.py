"""resource.Quantity parsing (k8s.io/apimachinery/pkg/api/resource), enough for requests.

CPU is returned in millicores and everything else in bytes/units, which is
how the scheduler and kubelet account for requests.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_RE = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse(value: str | int | float) -> Decimal:
    """The quantity's value in base units; ValueError when it is not a quantity."""
    text = str(value).strip()
    match = _RE.match(text)
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
    except InvalidOperation as err:
        raise ValueError(str(err)) from None


def millicores(value: str | int | float | None) -> int:
    """CPU in millicores, rounded up as upstream's MilliValue does."""
    if value is None:
        return 0
    return int((parse(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def units(value: str | int | float | None) -> int:
    """Memory (bytes), pods or storage, rounded up to a whole unit."""
    if value is None:
        return 0
    return int(parse(value).to_integral_value(rounding="ROUND_CEILING"))
