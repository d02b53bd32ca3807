"""`apt-get update` and `apt-get install` in a Debian-based container; `apk add` in an Alpine one.

The Kubernetes documentation installs tools into running containers: "Configure a Pod to Use
a Volume for Storage" runs `apt-get update` and `apt-get install procps` in redis to get `ps`.
Debian's images ship without package lists (/var/lib/apt/lists is emptied), so an install before
an update finds nothing ("Unable to locate package"); only root may install. What is installed
lives in the container's writable layer: the container's next start, from its image, has none of it.

Here an update writes the bookworm lists, and an install writes the package's programs to /usr/bin
of the container's files, which makes them found on the PATH (commands.available); the programs run
as kubeclass simulates them (`ps` from procps, `curl`, `nslookup`), and one it does not simulate
says so when run. Alpine's `apk add` needs no update first: it fetches the indexes itself.

Simplified: a package comes alone, without the libraries apt or apk would pull in with
it, so apt never asks to continue; the sizes and versions printed are those of bookworm's packages
at one moment, as a mirror changes them; the network is not consulted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster.container.fs import FsError
from cluster.container.shell import Res

if TYPE_CHECKING:
    from cluster.container.shell import Shell

LISTS = "/var/lib/apt/lists"
LIST_FILE = f"{LISTS}/deb.debian.org_debian_dists_bookworm_InRelease"
BIN = "/usr/bin"
MIRROR = "http://deb.debian.org/debian"


@dataclass(frozen=True)
class Package:
    version: str
    download_kb: int
    installed_kb: int
    programs: tuple[str, ...]


PACKAGES = {
    "procps": Package("2:4.0.2-3", 709, 2278, ("ps", "kill", "top", "free", "pgrep", "pkill", "uptime", "vmstat")),
    "curl": Package("7.88.1-10+deb12u8", 315, 500, ("curl",)),
    "wget": Package("1.21.3-1+b2", 984, 3681, ("wget",)),
    "iputils-ping": Package("3:20221126-1", 47, 115, ("ping",)),
    "dnsutils": Package("1:9.18.28-1~deb12u2", 10, 29, ("nslookup", "dig", "host")),
    "net-tools": Package("2.10-0.1", 243, 1016, ("netstat", "ifconfig", "route", "arp")),
    "vim": Package("2:9.0.1378-2", 1567, 3751, ("vim", "vi")),
    "nano": Package("7.2-1", 690, 2637, ("nano",)),
    "less": Package("590-2.1~deb12u2", 132, 322, ("less",)),
    "lsof": Package("4.95.0-1", 316, 473, ("lsof",)),
    "tcpdump": Package("4.99.3-1", 479, 1307, ("tcpdump",)),
}  # fmt: skip
UPDATE = (
    f"Get:1 {MIRROR} bookworm InRelease [151 kB]\n"
    f"Get:2 {MIRROR} bookworm-updates InRelease [55.4 kB]\n"
    "Get:3 http://deb.debian.org/debian-security bookworm-security InRelease [48.0 kB]\n"
    f"Get:4 {MIRROR} bookworm/main amd64 Packages [8792 kB]\n"
    f"Get:5 {MIRROR} bookworm-updates/main amd64 Packages [13.5 kB]\n"
    "Get:6 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages [245 kB]\n"
    "Fetched 9305 kB in 1s (6521 kB/s)\n"
    "Reading package lists...\n"
)
NOT_ROOT = (
    "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n"
)
LISTS_DENIED = "E: List directory /var/lib/apt/lists/partial is missing. - Acquire (13: Permission denied)\n"
DEBCONF = "debconf: delaying package configuration, since apt-utils is not installed\n"
READING = "Reading package lists...\nBuilding dependency tree...\nReading state information...\n"


def apt_get(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    """`apt-get update`, `apt-get install [-y] PACKAGE…` (and `apt`, which says the same here)."""
    words = [a for a in argv[1:] if not a.startswith("-")]
    if not words:
        return Res(1, err="E: Invalid operation\n" if len(argv) > 1 else "")
    if words[0] not in ("update", "install"):
        return Res(0, err=f"(kubeclass: {argv[0]} {words[0]} is not simulated; it did nothing)\n")
    from cluster.container.coreutils import process_user

    if process_user(sh) != "root":
        return Res(100, err=NOT_ROOT if words[0] == "install" else LISTS_DENIED)
    if words[0] == "update":
        return _update(sh)
    return _install(sh, words[1:])


def _update(sh: Shell) -> Res:
    try:
        sh.host.fs.mkdir(LISTS, sh.state["t"], parents=True)
        sh.host.fs.write(LIST_FILE, "Origin: Debian\nSuite: stable\nCodename: bookworm\n", sh.state["t"])
    except FsError as err:
        return Res(100, err=f"E: Could not open file {LIST_FILE} - open ({err.errno})\n")
    return Res(0, UPDATE)


def _install(sh: Shell, names: list[str]) -> Res:
    if not names:
        return Res(0, READING + "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
    unknown = [n for n in names if n not in PACKAGES or not sh.host.fs.is_file(LIST_FILE)]
    if unknown:
        return Res(100, READING, f"E: Unable to locate package {unknown[0]}\n")
    fresh = [n for n in dict.fromkeys(names) if not installed(sh, n)]
    newest = [n for n in dict.fromkeys(names) if n not in fresh]
    out = READING + "".join(f"{n} is already the newest version ({PACKAGES[n].version}).\n" for n in newest)
    if fresh:
        out += _plan(fresh)
        for name in fresh:
            for program in PACKAGES[name].programs:
                sh.host.fs.mkdir(BIN, sh.state["t"], parents=True)
                sh.host.fs.write(f"{BIN}/{program}", f"{name} {PACKAGES[name].version}\n", sh.state["t"])
    else:
        out += "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"
    return Res(0, out, DEBCONF if fresh else "")


def _plan(fresh: list[str]) -> str:
    """What apt prints to fetch, unpack and set up the packages."""
    get = sum(PACKAGES[n].download_kb for n in fresh)
    size = sum(PACKAGES[n].installed_kb for n in fresh)
    out = "The following NEW packages will be installed:\n  " + " ".join(fresh) + "\n"
    out += f"0 upgraded, {len(fresh)} newly installed, 0 to remove and 0 not upgraded.\n"
    out += f"Need to get {get:,} kB of archives.\n"
    out += f"After this operation, {size:,} kB of additional disk space will be used.\n"
    out += "".join(
        f"Get:{i} {MIRROR} bookworm/main amd64 {n} amd64 {PACKAGES[n].version} [{PACKAGES[n].download_kb} kB]\n"
        for i, n in enumerate(fresh, 1)
    )
    out += f"Fetched {get:,} kB in 0s ({get * 10:,} kB/s)\n"
    for n in fresh:
        deb = f"{n}_{PACKAGES[n].version.replace(':', '%3a')}_amd64.deb"
        out += f"Selecting previously unselected package {n}.\n"
        out += "(Reading database ... 6099 files and directories currently installed.)\n"
        out += f"Preparing to unpack .../{deb} ...\nUnpacking {n} ({PACKAGES[n].version}) ...\n"
    out += "".join(f"Setting up {n} ({PACKAGES[n].version}) ...\n" for n in fresh)
    return out


def installed(sh: Shell, name: str) -> bool:
    return all(sh.host.fs.is_file(f"{BIN}/{p}") for p in PACKAGES[name].programs)


def on_path(sh: Shell, program: str) -> bool:
    """Whether an install put `program` in the container's /usr/bin."""
    return sh.host.fs.is_file(f"{BIN}/{program}")


# -- Alpine ----------------------------------------------------------------------------------------------
APK_MIRROR = "https://dl-cdn.alpinelinux.org/alpine/v3.20"
APK_PACKAGES = {
    "curl": ("8.9.1-r1", ("curl",)),
    "bash": ("5.2.26-r0", ("bash",)),
    "bind-tools": ("9.18.27-r0", ("nslookup", "dig", "host")),
    "procps-ng": ("4.0.4-r0", ("ps", "top", "free", "pgrep", "pkill")),
    "jq": ("1.7.1-r0", ("jq",)),
    "vim": ("9.1.0414-r0", ("vim",)),
    "git": ("2.45.2-r0", ("git",)),
}
APK_BASE_PACKAGES = 14  # what the alpine image itself has installed (busybox, musl, apk-tools, …)


APK_LOCKED = (
    "ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied\n"
)
APK_FETCH = "".join(f"fetch {APK_MIRROR}/{repo}/x86_64/APKINDEX.tar.gz\n" for repo in ("main", "community"))
APK_UPDATED = (
    f"v3.20.3-0-g0e9a0e8 [{APK_MIRROR}/main]\nv3.20.3-1-g8fd9a3e [{APK_MIRROR}/community]\n"
    "OK: 24163 distinct packages available\n"
)


def apk(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    """`apk add [--no-cache] PACKAGE…` (and `apk update`)."""
    words = [a for a in argv[1:] if not a.startswith("-")]
    if not words or words[0] not in ("add", "update"):
        return Res(0, err=f"(kubeclass: apk {' '.join(words[:1])} is not simulated; it did nothing)\n")
    from cluster.container.coreutils import process_user

    if process_user(sh) != "root":
        return Res(99, err=APK_LOCKED)
    if words[0] == "update":
        return Res(0, APK_FETCH + APK_UPDATED)
    names = list(dict.fromkeys(words[1:]))
    unknown = [n for n in names if n not in APK_PACKAGES]
    if unknown:
        lines = "".join(f"  {n} (no such package):\n    required by: world[{n}]\n" for n in unknown)
        return Res(len(unknown), APK_FETCH, f"ERROR: unable to select packages:\n{lines}")
    fresh = [n for n in names if not _apk_installed(sh, n)]
    out = APK_FETCH + "".join(
        f"({i}/{len(fresh)}) Installing {n} ({APK_PACKAGES[n][0]})\n" for i, n in enumerate(fresh, 1)
    )
    for name in fresh:
        for program in APK_PACKAGES[name][1]:
            sh.host.fs.mkdir(BIN, sh.state["t"], parents=True)
            sh.host.fs.write(f"{BIN}/{program}", f"{name} {APK_PACKAGES[name][0]}\n", sh.state["t"])
    if fresh:
        out += "Executing busybox-1.36.1-r29.trigger\n"
    count = APK_BASE_PACKAGES + sum(1 for n in APK_PACKAGES if _apk_installed(sh, n))
    return Res(0, out + f"OK: {8 + 2 * count} MiB in {count} packages\n")


def _apk_installed(sh: Shell, name: str) -> bool:
    return all(on_path(sh, program) for program in APK_PACKAGES[name][1])
