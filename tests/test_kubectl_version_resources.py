"""kubectl version, cluster-info and set resources, in-process: what a learner sees and what changes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from pytest_django.fixtures import Settings

from cluster.apiserver.server import APIServer
from cluster.kubectl.quantities import canonical
from tests import kubectl_more_verbs_common
from tests.kubectl_more_verbs_common import KUBECTL, needs_kubectl, kubectl, ok, fails, workload, containers

frozen_clock = kubectl_more_verbs_common.frozen_clock  # the autouse fixture


# -- kubectl version ----------------------------------------------------------------------------
def test_version_prints_the_client_kustomize_and_server_versions(api: APIServer) -> None:
    assert (
        ok(api, "version") == "Client Version: v1.32.4-dispatcher\nKustomize Version: v5.5.0\nServer Version: v1.32.0\n"
    )
    assert ok(api, "version", "--client") == "Client Version: v1.32.4-dispatcher\nKustomize Version: v5.5.0\n"


def test_version_json_keeps_the_struct_order_and_yaml_sorts(api: APIServer) -> None:
    out = ok(api, "version", "-o", "json")
    assert out.startswith('{\n  "clientVersion": {\n    "major": "1",\n    "minor": "32+",\n')
    assert out.endswith('    "platform": "linux/amd64"\n  }\n}\n')
    assert list(json.loads(out)) == ["clientVersion", "kustomizeVersion", "serverVersion"]
    assert ok(api, "version", "--client", "-o", "yaml") == (
        'clientVersion:\n  buildDate: "2025-05-15T20:09:34Z"\n  compiler: gc\n'
        "  gitCommit: 4cb5f0764b8d5f425645c6f433394fede34a8a26\n  gitTreeState: clean\n"
        '  gitVersion: v1.32.4-dispatcher\n  goVersion: go1.23.8\n  major: "1"\n  minor: 32+\n'
        "  platform: linux/amd64\nkustomizeVersion: v5.5.0\n\n"
    )


@pytest.mark.parametrize(
    "argv, stderr",
    [
        (["-o", "wide"], "error: --output must be 'yaml' or 'json'\n"),
        (["extra"], "error: extra arguments: [extra]\n"),
        (["--short"], "Error: unknown flag: --short\nSee 'kubectl version --help' for usage.\n"),
    ],
)
def test_version_rejects_what_kubectl_rejects(api: APIServer, argv: list[str], stderr: str) -> None:
    assert fails(api, "version", *argv) == stderr


def test_version_client_extras_are_ignored_as_kubectl_ignores_them(api: APIServer) -> None:
    assert ok(api, "version", "--client", "extra").startswith("Client Version: ")


@needs_kubectl
def test_version_client_is_the_real_kubectl_build(api: APIServer) -> None:
    real = subprocess.run(
        [KUBECTL, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )
    assert ok(api, "version", "--client", "-o", "json") == real.stdout


# -- kubectl cluster-info -----------------------------------------------------------------------
HINT = "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"


def test_cluster_info_names_the_api_url_the_dashboard_shows(api: APIServer, settings: Settings) -> None:
    settings.KUBECLASS_API_URL = "https://kubeclass.example:6443/"
    assert ok(api, "cluster-info") == (
        "Kubernetes control plane is running at https://kubeclass.example:6443\n"
        "CoreDNS is running at https://kubeclass.example:6443/api/v1/namespaces/kube-system/services/"
        "kube-dns:dns/proxy\n" + HINT
    )
    assert (
        ok(api, "cluster-info", "-n", "default")
        == "Kubernetes control plane is running at https://kubeclass.example:6443\n" + HINT
    )


PROXY = "API/api/v1/namespaces/kube-system/services/"


@pytest.mark.parametrize(
    "ports, ingress, link",
    [
        ([{"name": "https", "port": 8443}], None, PROXY + "https:dash:https/proxy"),
        ([{"port": 443}], None, PROXY + "https:dash:/proxy"),
        ([{"name": "web", "port": 80}, {"name": "alt", "port": 81}], None, PROXY + "dash:web/proxy"),
        (
            [{"name": "a", "port": 80}, {"name": "b", "port": 81}],
            [{"ip": "203.0.113.7"}],
            "http://203.0.113.7:80 http://203.0.113.7:81 ",
        ),
        ([{"port": 80}], [{"hostname": "lb.example"}], "http://lb.example:80 "),
    ],
)
def test_cluster_info_links_each_cluster_service_as_kubectl_does(
    api: APIServer, settings: Settings, ports: list[dict], ingress: list[dict] | None, link: str
) -> None:
    settings.KUBECLASS_API_URL = "API"
    api.create(
        "services",
        "kube-system",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "dash", "labels": {"kubernetes.io/cluster-service": "true"}},
            "spec": {"type": "LoadBalancer" if ingress else "ClusterIP", "selector": {"app": "dash"}, "ports": ports},
        },
    )
    if ingress:

        def put(svc: dict) -> dict:
            svc["status"] = {"loadBalancer": {"ingress": ingress}}
            return svc

        api.update_with("services", "kube-system", "dash", put, subresource="status")
    assert f"dash is running at {link}\n" in ok(api, "cluster-info")


# -- kubectl set resources ----------------------------------------------------------------------
def test_set_resources_updates_every_container_of_the_template(api: APIServer) -> None:
    workload(api)
    assert (
        ok(api, "set", "resources", "deployment", "web", "--limits=cpu=200m,memory=512Mi", "--requests=cpu=100m")
        == "deployment.apps/web resource requirements updated\n"
    )
    wanted = {"limits": {"cpu": "200m", "memory": "512Mi"}, "requests": {"cpu": "100m"}}
    assert containers(api) == {"nginx": wanted, "side": wanted}


def test_set_resources_sends_nothing_when_nothing_changes(api: APIServer) -> None:
    workload(api)
    ok(api, "set", "resources", "deploy/web", "--limits=cpu=500m")
    revision = api.current_revision()
    assert ok(api, "set", "resources", "deploy/web", "--limits=cpu=0.5") == ""  # 0.5 is 500m
    assert api.current_revision() == revision


@pytest.mark.parametrize(
    "given, sent",
    [
        ("0.5", "500m"),
        ("2000m", "2"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1.5Gi", "1536Mi"),
        ("1024Ki", "1Mi"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        ("1E3", "1e3"),
        ("0.1n", "1n"),
        ("0", "0"),
        ("0Mi", "0"),
        ("+1", "1"),
        (".5", "500m"),
        ("1025Ki", "1025Ki"),
        ("8Ei", "9223372036854775807"),
    ],
)
def test_quantities_are_sent_in_canonical_form(given: str, sent: str) -> None:
    assert canonical(given) == sent


@pytest.mark.parametrize(
    "pattern, changed",
    [
        ("*", {"setup", "nginx", "side"}),
        ("nginx", {"nginx"}),
        ("s*", {"side", "setup"}),
        ("*e", {"side"}),
        ("s*p", {"setup"}),
        ("setup", {"setup"}),
    ],
)
def test_set_resources_selects_containers_as_kubectl_does(api: APIServer, pattern: str, changed: set[str]) -> None:
    workload(api, init=True)
    ok(api, "set", "resources", "deployment", "web", "-c", pattern, "--requests=memory=64Mi")
    assert {name for name, res in containers(api).items() if res} == changed


@pytest.mark.parametrize(
    "argv, stderr",
    [
        (
            ["deployment", "web"],
            "error: you must specify an update to requests or limits (in the form of --requests/--limits)\n",
        ),
        (
            ["deployment", "web", "--limits=cpu=abc"],
            "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n",
        ),
        (["deployment", "web", "--limits=cpu=1K"], "error: unable to parse quantity's suffix\n"),
        (["deployment", "web", "--limits=cpu"], "error: Invalid argument syntax cpu, expected <resource>=<value>\n"),
        (["deployment", "web", "-c", "nope", "--limits=cpu=1"], "error: unable to find container named nope\n"),
        (
            ["deployment", "web", "nope", "--limits=cpu=1"],
            'Error from server (NotFound): deployments.apps "nope" not found\n',
        ),
        (
            ["deployment", "web", "-l", "app=web", "--limits=cpu=1"],
            "error: name cannot be provided when a selector is specified\n",
        ),
        (
            ["deployment", "-l", "app=web", "--all", "--limits=cpu=1"],
            "error: cannot set --all and --selector at the same time\n",
        ),
        (["deployment", "--limits=cpu=1"], "error: resource(s) were provided, but no name was specified\n"),
        (["-l", "app=web", "--limits=cpu=1"], "error: at least one resource must be specified to use a selector\n"),
        (["foo", "web", "--limits=cpu=1"], 'error: the server doesn\'t have a resource type "foo"\n'),
        (
            ["svc/kubernetes", "--limits=cpu=1"],
            "error: services/kubernetes the object is not a pod or does not have a pod template: *v1.Service\n",
        ),
        (
            ["deployment", "web", "--limits=cpu=1", "--dry-run=maybe"],
            'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n',
        ),
        (
            ["deployment", "web", "-c", "nginx", "--limits=memory=1Mi", "--requests=memory=2Mi"],
            'error: failed to patch resources update to pod template Deployment.apps "web" is invalid: '
            'spec.template.spec.containers[0].resources.requests: Invalid value: "2Mi": must be less than or equal to '
            "memory limit of 1Mi\n",
        ),
        (
            ["deployment", "web", "--bogus"],
            "Error: unknown flag: --bogus\nSee 'kubectl set resources --help' for usage.\n",
        ),
    ],
)
def test_set_resources_errors_change_nothing(api: APIServer, argv: list[str], stderr: str) -> None:
    workload(api)
    before = api.current_revision()
    assert fails(api, "set", "resources", *argv) == stderr
    assert api.current_revision() == before


def test_set_resources_reports_each_problem_after_the_updates(api: APIServer) -> None:
    workload(api)
    workload(api, "api")
    code, out, err = kubectl(
        api, "set", "resources", "deploy/web", "svc/kubernetes", "deploy/api", "-c", "side", "--limits=cpu=1"
    )
    assert (code, out) == (
        1,
        "deployment.apps/web resource requirements updated\ndeployment.apps/api resource requirements updated\n",
    )
    assert err == "error: services/kubernetes the object is not a pod or does not have a pod template: *v1.Service\n"
    code, out, err = kubectl(api, "set", "resources", "deploy/web", "deploy/api", "-c", "nope", "--limits=cpu=1")
    assert (code, out, err) == (1, "", "error: unable to find container named nope\n" * 2)


@pytest.mark.parametrize(
    "argv, stdout",
    [
        (["--dry-run=client"], "deployment.apps/web resource requirements updated (dry run)\n"),
        (["--dry-run=server"], "deployment.apps/web resource requirements updated (server dry run)\n"),
        (["--dry-run=server", "-o", "name"], "deployment.apps/web\n"),
        (
            ["--dry-run=client", "-o", "jsonpath={.spec.template.spec.containers[0].resources}"],
            '{"limits":{"cpu":"250m"}}',
        ),
    ],
)
def test_set_resources_dry_runs_print_but_change_nothing(api: APIServer, argv: list[str], stdout: str) -> None:
    workload(api)
    before = api.current_revision()
    assert ok(api, "set", "resources", "deployment", "web", "--limits=cpu=0.25", *argv) == stdout
    assert api.current_revision() == before


def test_set_offers_image_and_resources(api: APIServer) -> None:
    assert fails(api, "set", "env") == "error: kubeclass offers `kubectl set image` and `kubectl set resources` only\n"
    assert (
        fails(api, "set", "bogus") == "error: unknown command \"bogus\"\nSee 'kubectl set -h' for help and examples\n"
    )
