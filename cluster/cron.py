"""Cron schedules as Kubernetes reads them: github.com/robfig/cron/v3's ParseStandard and Next.

kube-apiserver validates a CronJob's `spec.schedule` and the cronjob
controller computes its run times with this library, so its rules are the
rules: five fields (minute, hour, day of month, month, day of week), `*` or
`?`, lists `a,b`, ranges `a-b`, steps `*/n` and `a/n` (from a to the field's
maximum), month and weekday names (jan, mon, case-insensitive), the
descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly and
`@every <duration>`, and a leading `TZ=` or `CRON_TZ=` zone. Day of month and
day of week are ORed unless either is `*` (then both must match). Weekday 7 is
not Sunday here: robfig/cron allows 0-6 only. The error messages are the
library's, since kube-apiserver shows them to the user.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STAR_BIT = 1 << 63


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


MINUTES = Bounds(0, 59)
HOURS = Bounds(0, 23)
DOM = Bounds(1, 31)
MONTHS = Bounds(
    1,
    12,
    {
        m: i
        for i, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
        )
    },
)
DOW = Bounds(0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))})
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class CronError(ValueError):
    """The schedule does not parse; the message is robfig/cron's."""


@dataclass(frozen=True)
class SpecSchedule:
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    zone: dt.tzinfo | None = None

    def next(self, after: dt.datetime) -> dt.datetime:
        """The first activation strictly after `after` (aware), or the zero time if none within five years."""
        return _next(self, after)


@dataclass(frozen=True)
class EverySchedule:
    """`@every <duration>`: ConstantDelaySchedule, rounded down to whole seconds (at least one)."""

    seconds: int

    def next(self, after: dt.datetime) -> dt.datetime:
        return after.replace(microsecond=0) + dt.timedelta(seconds=self.seconds)


Schedule = SpecSchedule | EverySchedule
ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def parse_standard(spec: str, default_zone: dt.tzinfo | None = None) -> Schedule:
    """cron.ParseStandard: a five-field spec or a descriptor; raises CronError."""
    if not spec:
        raise CronError("empty spec string")
    zone = default_zone
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        space, eq = spec.find(" "), spec.find("=")
        name = spec[eq + 1 : space] if space >= 0 else spec[eq + 1 :]
        zone = load_location(name, lambda err: CronError(f"provided bad location {name}: {err}"))
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    bits = [get_field(f, b) for f, b in zip(fields, (MINUTES, HOURS, DOM, MONTHS, DOW))]
    minute, hour, dom, month, dow = bits
    return SpecSchedule(minute, hour, dom, month, dow, zone=zone)


def load_location(name: str, error: object = None) -> dt.tzinfo:
    """time.LoadLocation: "" and "UTC" are UTC; otherwise an IANA zone name."""
    if name in ("", "UTC"):
        return dt.timezone.utc
    try:
        if name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {name}"
        raise (error(message) if callable(error) else CronError(message)) from None


def _descriptor(spec: str, zone: dt.tzinfo | None) -> Schedule:
    if spec in DESCRIPTORS:
        return parse_standard(DESCRIPTORS[spec], zone)
    if spec.startswith("@every "):
        text = spec[len("@every ") :]
        seconds = parse_go_duration(text)
        if seconds is None:
            raise CronError(f'failed to parse duration {spec}: time: invalid duration "{text}"')
        return EverySchedule(max(1, int(seconds)))
    raise CronError(f"unrecognized descriptor: {spec}")


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def parse_go_duration(text: str) -> float | None:
    """time.ParseDuration, in seconds; None if it does not parse."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total if body else None


def get_field(field: str, bounds: Bounds) -> int:
    bits = 0
    for expr in [part for part in field.split(",") if part]:
        bits |= get_range(expr, bounds)
    return bits


def get_range(expr: str, r: Bounds) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = r.low, r.high, STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], r.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], r.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _must_int(range_and_step[1])
        if single:
            end = r.high  # "N/step" means "N-max/step"
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.low:
        raise CronError(f"beginning of range ({start}) below minimum ({r.low}): {expr}")
    if end > r.high:
        raise CronError(f"end of range ({end}) above maximum ({r.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return _bits(start, end, step) | extra


def _bits(low: int, high: int, step: int) -> int:
    return sum(1 << i for i in range(low, high + 1, step))


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names and expr.lower() in names:
        return names[expr.lower()]
    return _must_int(expr)


def _must_int(expr: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _has(bits: int, value: int) -> bool:
    return bool(bits & (1 << value))


def _day_matches(s: SpecSchedule, t: dt.datetime) -> bool:
    dom_match = _has(s.dom, t.day)
    dow_match = _has(s.dow, (t.weekday() + 1) % 7)  # Go: Sunday is 0
    if s.dom & STAR_BIT or s.dow & STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def _next(s: SpecSchedule, after: dt.datetime) -> dt.datetime:
    """SpecSchedule.Next: walk months, days, hours and minutes forward to the first match."""
    original_zone = after.tzinfo
    t = after.astimezone(s.zone) if s.zone is not None else after
    t = t.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    limit = t.year + 5
    while t.year <= limit:
        if not _has(s.month, t.month):
            year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
            t = t.replace(year=year, month=month, day=1, hour=0, minute=0)
            continue
        if not _day_matches(s, t):
            t = (t + dt.timedelta(days=1)).replace(hour=0, minute=0)
            continue
        if not _has(s.hour, t.hour):
            t = (t + dt.timedelta(hours=1)).replace(minute=0)
            continue
        if not _has(s.minute, t.minute):
            t += dt.timedelta(minutes=1)
            continue
        return t.astimezone(original_zone)
    return ZERO_TIME
