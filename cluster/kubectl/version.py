"""`kubectl version` (staging/src/k8s.io/kubectl/pkg/cmd/version/version.go, v1.32).

Prints the client's version, the Kustomize version kubectl embeds and the
server's version as discovery's `/version` answers it; `--client` leaves the
server out, `-o json` prints the Version struct in its field order with two-space
indents and `-o yaml` with sorted keys, each followed by an empty line as
kubectl's Fprintln leaves it.

The client is the real kubectl v1.32 binary kubeclass is checked against
(`/usr/bin/kubectl version --client -o json`): the in-page kubectl presents
itself with the same build, so a learner sees the same numbers either way.
Simplified: the version-skew warning is never needed (client and server are both 1.32).
"""

from __future__ import annotations

import json

from cluster.apiserver.http.discovery import VERSION_INFO
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import check_err, parse_flags
from cluster.kubectl.flags import Flag
from cluster.kubectl.output import to_yaml

CLIENT_VERSION: dict[str, str] = {
    "major": "1",
    "minor": "32+",
    "gitVersion": "v1.32.4-dispatcher",
    "gitCommit": "4cb5f0764b8d5f425645c6f433394fede34a8a26",
    "gitTreeState": "clean",
    "buildDate": "2025-05-15T20:09:34Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}
KUSTOMIZE_VERSION = "v5.5.0"
VERSION_FLAGS = [Flag("client", "bool", False), Flag("output", "string", "", short="o")]


@verb("version")
def version(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, VERSION_FLAGS, "version")
    if parsed is None:
        return 1
    client_only, output = bool(parsed["client"]), parsed.text("output")
    # Complete returns before it keeps the arguments when --client is set, so only then are extras fine.
    if parsed.positional and not client_only:
        return check_err(ctx, [f"extra arguments: [{' '.join(parsed.positional)}]"])
    if output not in ("", "yaml", "json"):
        return check_err(ctx, ["--output must be 'yaml' or 'json'"])
    info: dict[str, object] = {"clientVersion": dict(CLIENT_VERSION), "kustomizeVersion": KUSTOMIZE_VERSION}
    if not client_only:
        info["serverVersion"] = dict(VERSION_INFO)
    if output == "json":
        ctx.stdout.write(json.dumps(info, indent=2) + "\n")
    elif output == "yaml":
        ctx.stdout.write(to_yaml(info) + "\n")
    else:
        ctx.stdout.write(f"Client Version: {CLIENT_VERSION['gitVersion']}\nKustomize Version: {KUSTOMIZE_VERSION}\n")
        if not client_only:
            ctx.stdout.write(f"Server Version: {VERSION_INFO['gitVersion']}\n")
    return 0
