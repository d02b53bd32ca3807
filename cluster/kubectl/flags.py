"""Command-line flags for kubectl's verbs, parsed the way spf13/pflag parses them.

Each verb declares its flags in a small table (name → kind, default, short
alias); `--flag=value`, `--flag value`, `-f value`, `-fvalue` and boolean
`--flag`/`--flag=false` are accepted, `--` ends the flags. Errors carry
pflag's own wording. Simplified: only the flags kubeclass acts on are known;
a flag kubectl has but kubeclass does not is reported as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class UsageError(Exception):
    """A client-side error kubectl reports as `error: ...` (exit code 1)."""


@dataclass(frozen=True)
class Flag:
    name: str  # long name without dashes
    kind: str = "string"  # string, bool, int, list (StringArray), slice (StringSlice: comma lists)
    default: object = None
    short: str = ""


@dataclass
class Parsed:
    positional: list[str] = field(default_factory=list)
    # A flag's value is a str, bool, int or list[str] as its Flag.kind says: known only at run time, as with
    # argparse's Namespace, hence Any.
    values: dict[str, Any] = field(default_factory=dict)
    given: set[str] = field(default_factory=set)
    dash_at: int = -1  # cobra's ArgsLenAtDash: how many positionals came before `--`

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def text(self, name: str) -> str:
        return str(self.values.get(name) or "")

    def many(self, name: str) -> list[str]:
        return list(self.values.get(name) or [])


# Flags most verbs share: kubectl's -f, -l, --all, -o, --dry-run, field manager and validation.
COMMON = {
    "filename": Flag("filename", "slice", short="f"),
    "recursive": Flag("recursive", "bool", False, short="R"),
    "selector": Flag("selector", "string", "", short="l"),
    "all": Flag("all", "bool", False),
    "output": Flag("output", "string", "", short="o"),
    "dry-run": Flag("dry-run", "string", "none"),
    "field-manager": Flag("field-manager", "string", ""),
    "validate": Flag("validate", "string", "strict"),
    "all-namespaces": Flag("all-namespaces", "bool", False, short="A"),
    "overwrite": Flag("overwrite", "bool", False),
    "record": Flag("record", "bool", False),
}


def flags(*names: str, extra: tuple[Flag, ...] = ()) -> list[Flag]:
    return [COMMON[n] for n in names] + list(extra)


def parse(args: list[str], known: list[Flag]) -> Parsed:
    by_long = {f.name: f for f in known}
    by_short = {f.short: f for f in known if f.short}
    parsed = Parsed(values={f.name: _initial(f) for f in known})
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            parsed.dash_at = len(parsed.positional)
            parsed.positional.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            parsed.positional.append(arg)
            continue
        if not arg.startswith("--"):
            i = _shorthands(parsed, arg, args, i, by_short)
            continue
        flag, value, shown = _identify(arg, by_long)
        i = _take(parsed, flag, value, shown, args, i)
    return parsed


def _shorthands(parsed: Parsed, arg: str, args: list[str], i: int, by_short: dict[str, Flag]) -> int:
    """pflag's parseShortArg: a bool shorthand takes no value, so the letters after it are more shorthands
    (`-it` is -i -t); another takes the rest of the word (`-owide`, `-o=wide`) or the next argument."""
    letters = arg[1:]
    while letters:
        letter, rest = letters[0], letters[1:]
        if letter not in by_short:
            raise UsageError(f"unknown shorthand flag: '{letter}' in -{letters}")  # pflag names what is left
        flag = by_short[letter]
        if flag.kind == "bool" and rest and not rest.startswith("="):
            _set(parsed, flag, True)
            letters = rest
            continue
        value = rest[1:] if rest.startswith("=") else rest
        return _take(parsed, flag, value or None, f"'{letter}' in -{letter}", args, i)
    return i


def _take(parsed: Parsed, flag: Flag, value: str | None, shown: str, args: list[str], i: int) -> int:
    """Set `flag` from its value, or from the next argument; where parsing goes on."""
    if flag.kind == "bool":
        _set(parsed, flag, _bool(flag, value, shown))
        return i
    if value is None:
        if i >= len(args):
            raise UsageError(f"flag needs an argument: {shown}")
        value = args[i]
        i += 1
    _set(parsed, flag, value)
    return i


def _initial(flag: Flag) -> object:
    return [] if flag.kind in ("list", "slice") else flag.default


def _identify(arg: str, by_long: dict[str, Flag]) -> tuple[Flag, str | None, str]:
    name, eq, value = arg[2:].partition("=")
    if name not in by_long:
        raise UsageError(f"unknown flag: --{name}")
    return by_long[name], (value if eq else None), f"--{name}"


def _bool(flag: Flag, value: str | None, shown: str) -> bool:
    if value is None:
        return True
    if value in ("true", "True", "TRUE", "1", "t", "T"):
        return True
    if value in ("false", "False", "FALSE", "0", "f", "F"):
        return False
    raise UsageError(
        f'invalid argument "{value}" for "{_display(flag)}" flag: strconv.ParseBool: parsing "{value}": invalid syntax'
    )


def _display(flag: Flag) -> str:
    return f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"


def _set(parsed: Parsed, flag: Flag, value: object) -> None:
    parsed.given.add(flag.name)
    if flag.kind == "slice":
        parsed.values[flag.name].extend(v for v in str(value).split(",") if v)
    elif flag.kind == "list":
        parsed.values[flag.name].append(str(value))
    elif flag.kind == "int":
        try:
            parsed.values[flag.name] = int(str(value))
        except ValueError:
            raise UsageError(
                f'invalid argument "{value}" for "{_display(flag)}" flag: strconv.ParseInt: '
                f'parsing "{value}": invalid syntax'
            ) from None
    else:
        parsed.values[flag.name] = value


def require(parsed: Parsed, *names: str) -> None:
    """cobra's MarkFlagRequired: `required flag(s) "image" not set`."""
    missing = [n for n in names if n not in parsed.given]
    if missing:
        raise UsageError("required flag(s) " + ", ".join(f'"{n}"' for n in missing) + " not set")
