"""resource.ParseQuantity and the canonical form a Quantity is sent in
(staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go and suffix.go).

kubectl parses `--limits=cpu=0.5` into a Quantity and serialises it
canonically: the largest suffix that keeps the number whole (`0.5` → `500m`,
`2000m` → `2`, `1.5Gi` → `1536Mi`, `1e3` stays `1e3`); a binary quantity
under 1024 or with a fraction falls back to the decimal form (`0.5Ki` → `512`);
anything finer than a nano rounds up to `1n`. The errors are upstream's words.
"""

from __future__ import annotations

from decimal import Decimal

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE}'"
SUFFIX_WRONG = "unable to parse quantity's suffix"
SUFFIX_CHARS = "eEinumkKMGTP"
DIGITS = "0123456789"
DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
NANO = Decimal("1e-9")
MAX_BINARY = Decimal(2**63 - 1)  # a binary quantity is capped at int64's maximum


def canonical(text: str) -> str:
    """The canonical string of the quantity `text`; ValueError with upstream's message when it is none."""
    if text == "":
        raise ValueError(FORMAT_WRONG)
    if text == "0":
        return "0"
    sign, num, denom, suffix = _scan(text)
    fmt, base, exponent = _interpret(suffix)
    amount = Decimal(f"{num}.{denom or '0'}") * (Decimal(base) ** exponent)
    if amount != 0:
        amount = _round_up_to_nano(amount)
    if fmt == "BinarySI":
        amount = min(amount, MAX_BINARY)
    return format_amount(-amount if sign < 0 else amount, fmt)


def _scan(text: str) -> tuple[int, str, str, str]:
    """parseQuantityString: sign, whole digits, fraction digits, suffix."""
    pos, end, sign = 0, len(text), 1
    if text[0] in "+-":
        sign, pos = (-1 if text[0] == "-" else 1), 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return sign, "0", "", ""
    start = pos
    while pos < end and text[pos] in DIGITS:
        pos += 1
    num, denom = text[start:pos] or "0", ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in DIGITS:
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(FORMAT_WRONG)
    return sign, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[str, int, int]:
    """(format, base, exponent) of a suffix: DecimalSI, BinarySI or DecimalExponent (`e3`, `E-2`)."""
    if suffix in DECIMAL_SI:
        return "DecimalSI", 10, DECIMAL_SI[suffix]
    if suffix in BINARY_SI:
        return "BinarySI", 2, BINARY_SI[suffix]
    rest = suffix[1:]
    digits = rest[1:] if rest[:1] in ("+", "-") else rest
    if len(suffix) > 1 and suffix[0] in "eE" and digits and all(d in DIGITS for d in digits):
        return "DecimalExponent", 10, int(rest)
    raise ValueError(SUFFIX_WRONG)


def _round_up_to_nano(amount: Decimal) -> Decimal:
    """inf.RoundUp at nine decimals: away from zero, so a tiny request is never rounded to nothing."""
    return amount.quantize(NANO, rounding="ROUND_UP") if int(amount.as_tuple().exponent) < -9 else amount


def format_amount(amount: Decimal, fmt: str) -> str:
    """CanonicalizeBytes: an amount in the format (DecimalSI, BinarySI, DecimalExponent) it was written in."""
    if amount == 0:
        return "0"
    if fmt == "BinarySI" and (abs(amount) < 1024 or amount != amount.to_integral_value()):
        fmt = "DecimalSI"
    sign = "-" if amount < 0 else ""
    if fmt == "BinarySI":
        mantissa, power = int(abs(amount)), 0
        while mantissa % 1024 == 0:
            mantissa, power = mantissa // 1024, power + 10
        suffix = next((s for s, p in BINARY_SI.items() if p == power), "")
        return f"{sign}{mantissa}{suffix}"
    mantissa, exponent = _decimal_parts(abs(amount))
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    suffix = next((s for s, e in DECIMAL_SI.items() if e == exponent), "")
    return f"{sign}{mantissa}{suffix}"


def _decimal_parts(amount: Decimal) -> tuple[int, int]:
    """AsCanonicalBytes: a whole mantissa and the largest exponent that is a multiple of three."""
    _, digits, exponent = amount.normalize().as_tuple()
    mantissa = int("".join(map(str, digits)))
    exponent = int(exponent)
    while exponent % 3:
        mantissa, exponent = mantissa * 10, exponent - 1
    return mantissa, exponent
