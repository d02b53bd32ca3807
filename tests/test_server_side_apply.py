"""Server-side apply and managedFields, through the real kubectl (v1.32) and the official Python client.

What a learner sees: `kubectl apply --server-side` creating and updating objects, the 409 that names the
other manager and field, `--force-conflicts` taking the field over, fields dropped from the applied
file going away, and `--show-managed-fields` telling who set what (creators, updaters, appliers, the
controllers and the kubelet's status writes).
"""

from __future__ import annotations

import json
import shutil
from typing import Iterator

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from tests.livesrv import Daphne, LiveKubectl, shared_cluster

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

CONFLICT_HELP = "Please review the fields above--they currently have other managers."


def deployment_yaml(name: str, replicas: int | None = 2, image: str = "nginx:1.27") -> str:
    replicas_line = f"  replicas: {replicas}\n" if replicas is not None else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
{replicas_line}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: web
        image: {image}
"""


def configmap_yaml(name: str, **data: str) -> str:
    lines = "".join(f'  {k}: "{v}"\n' for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{lines}"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne
) -> Iterator[tuple[LiveKubectl, client.ApiClient]]:
    workdir = tmp_path_factory.mktemp("ssa-live")
    for server in shared_cluster(live_daphne, "ssa"):
        config = client.Configuration()
        config.host = server.url
        config.ssl_ca_cert = str(server.ca_file)
        config.api_key = {"authorization": server.token}
        config.api_key_prefix = {"authorization": "Bearer"}
        with client.ApiClient(config) as api_client:
            yield LiveKubectl(server, workdir, quiet=True), api_client


@pytest.fixture()
def kubectl(live) -> LiveKubectl:
    return live[0]


@pytest.fixture()
def api_client(live) -> client.ApiClient:
    return live[1]


def get(kubectl: LiveKubectl, *what: str) -> dict:
    return json.loads(kubectl.run("get", *what, "-o", "json", "--show-managed-fields").stdout)


def managers(obj: dict) -> dict[tuple[str, str, str], dict]:
    """managedFields by (manager, operation, subresource)."""
    return {(e["manager"], e["operation"], e.get("subresource", "")): e for e in obj["metadata"]["managedFields"]}


# -- kubectl apply --server-side ------------------------------------------------------------------
def test_apply_creates_the_object_and_records_the_applier(kubectl):
    out = kubectl.run("apply", "--server-side", "-f", "-", stdin=deployment_yaml("ssa-create"))
    assert out.stdout.strip() == "deployment.apps/ssa-create serverside-applied"
    obj = get(kubectl, "deployment", "ssa-create")
    entry = managers(obj)[("kubectl", "Apply", "")]
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1" and entry["time"]
    fields = entry["fieldsV1"]["f:spec"]
    assert fields["f:replicas"] == {} and fields["f:selector"] == {}
    assert fields["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}'] == {".": {}, "f:image": {}, "f:name": {}}
    # defaults the server filled in belong to nobody
    assert "f:strategy" not in fields and "f:revisionHistoryLimit" not in fields


def test_reapplying_the_same_file_changes_nothing(kubectl):
    kubectl.run("apply", "--server-side", "-f", "-", stdin=configmap_yaml("ssa-noop", a="1"))
    before = get(kubectl, "configmap", "ssa-noop")["metadata"]
    out = kubectl.run("apply", "--server-side", "-f", "-", stdin=configmap_yaml("ssa-noop", a="1"))
    assert out.stdout.strip() == "configmap/ssa-noop serverside-applied"
    after = get(kubectl, "configmap", "ssa-noop")["metadata"]
    assert after["resourceVersion"] == before["resourceVersion"]
    assert after["managedFields"] == before["managedFields"]


def test_a_field_another_manager_set_is_a_conflict(kubectl):
    kubectl.run("apply", "-f", "-", stdin=deployment_yaml("ssa-conflict", replicas=2))  # client-side apply
    out = kubectl.run(
        "apply", "--server-side", "-f", "-", stdin=deployment_yaml("ssa-conflict", replicas=3), check=False
    )
    assert out.returncode == 1
    assert out.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
        "using apps/v1: .spec.replicas\n" + CONFLICT_HELP
    )
    assert get(kubectl, "deployment", "ssa-conflict")["spec"]["replicas"] == 2


def test_two_conflicts_are_listed_under_their_manager(kubectl):
    kubectl.run("apply", "-f", "-", stdin=deployment_yaml("ssa-two", replicas=2))
    out = kubectl.run(
        "apply",
        "--server-side",
        "-f",
        "-",
        stdin=deployment_yaml("ssa-two", replicas=3, image="nginx:1.28"),
        check=False,
    )
    assert out.returncode == 1
    assert (
        'error: Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="web"].image\n'
    ) in out.stderr


def test_force_conflicts_takes_the_field_over(kubectl):
    kubectl.run("apply", "-f", "-", stdin=deployment_yaml("ssa-force", replicas=2))
    out = kubectl.run(
        "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=deployment_yaml("ssa-force", replicas=3)
    )
    assert out.stdout.strip() == "deployment.apps/ssa-force serverside-applied"
    obj = get(kubectl, "deployment", "ssa-force")
    assert obj["spec"]["replicas"] == 3
    owners = managers(obj)
    assert "f:replicas" in owners[("kubectl", "Apply", "")]["fieldsV1"]["f:spec"]
    # kubectl then folds the client-side applier's fields into its own entry (csaupgrade), as on a real cluster
    assert ("kubectl-client-side-apply", "Update", "") not in owners
    assert all(
        "f:replicas" not in e["fieldsV1"].get("f:spec", {})
        for key, e in owners.items()
        if key != ("kubectl", "Apply", "")
    )


def test_a_field_no_longer_applied_is_removed_unless_someone_else_owns_it(kubectl):
    kubectl.run("apply", "--server-side", "-f", "-", stdin=configmap_yaml("ssa-prune", a="1", b="2", c="3"))
    kubectl.run("label", "configmap", "ssa-prune", "team=blue")
    kubectl.run("patch", "configmap", "ssa-prune", "-p", '{"data":{"c":"4"}}')  # kubectl-patch now owns c
    kubectl.run("apply", "--server-side", "-f", "-", stdin=configmap_yaml("ssa-prune", a="1"))
    obj = get(kubectl, "configmap", "ssa-prune")
    assert obj["data"] == {"a": "1", "c": "4"}  # b went; c stayed, kubectl-patch set it
    assert obj["metadata"]["labels"] == {"team": "blue"}
    owners = managers(obj)
    assert owners[("kubectl", "Apply", "")]["fieldsV1"] == {"f:data": {"f:a": {}}}
    # the labels map was new: the labeller owns the map itself too (".")
    assert owners[("kubectl-label", "Update", "")]["fieldsV1"] == {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}
    assert owners[("kubectl-patch", "Update", "")]["fieldsV1"] == {"f:data": {"f:c": {}}}


def test_client_side_apply_keeps_working(kubectl):
    kubectl.run("apply", "-f", "-", stdin=configmap_yaml("csa", a="1"))
    out = kubectl.run("apply", "-f", "-", stdin=configmap_yaml("csa", a="2"))
    assert out.stdout.strip() == "configmap/csa configured"
    obj = get(kubectl, "configmap", "csa")
    assert obj["data"] == {"a": "2"}
    entry = managers(obj)[("kubectl-client-side-apply", "Update", "")]
    assert entry["fieldsV1"]["f:data"] == {".": {}, "f:a": {}}
    assert "f:kubectl.kubernetes.io/last-applied-configuration" in entry["fieldsV1"]["f:metadata"]["f:annotations"]


# -- managedFields on every write -----------------------------------------------------------------
def test_create_records_every_field_the_creator_set_including_defaults(kubectl):
    kubectl.run("create", "deployment", "mf-create", "--image=nginx", "--replicas=2")
    obj = get(kubectl, "deployment", "mf-create")
    entry = managers(obj)[("kubectl-create", "Update", "")]
    assert entry["apiVersion"] == "apps/v1"
    spec = entry["fieldsV1"]["f:spec"]
    assert spec["f:strategy"]["f:rollingUpdate"] == {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}
    assert entry["fieldsV1"]["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    container = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert {".", "f:image", "f:imagePullPolicy", "f:name", "f:terminationMessagePath"} <= set(container)
    assert "f:status" not in entry["fieldsV1"]


def test_an_update_takes_the_fields_it_changed(kubectl):
    kubectl.run("create", "deployment", "mf-update", "--image=nginx")
    kubectl.run("set", "image", "deployment/mf-update", "nginx=nginx:1.28")
    obj = get(kubectl, "deployment", "mf-update")
    owners = managers(obj)
    set_image = owners[("kubectl-set", "Update", "")]["fieldsV1"]
    assert set_image == {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"nginx"}': {"f:image": {}}}}}}
    }
    created = owners[("kubectl-create", "Update", "")]["fieldsV1"]
    assert "f:image" not in created["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']


def test_a_status_write_records_its_own_entry(kubectl):
    kubectl.run("create", "service", "clusterip", "mf-status", "--tcp=80:8080")
    kubectl.run(
        "patch",
        "service",
        "mf-status",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}',
    )
    owners = managers(get(kubectl, "service", "mf-status"))
    status = owners[("kubectl-patch", "Update", "status")]
    assert status["apiVersion"] == "v1"
    assert status["fieldsV1"] == {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}
    created = owners[("kubectl-create", "Update", "")]["fieldsV1"]
    assert "f:status" not in created and 'k:{"port":80,"protocol":"TCP"}' in created["f:spec"]["f:ports"]


@pytest.mark.django_db
def test_with_component_fields_on_controllers_and_kubelet_record_their_own_entries(cluster, settings):
    from tests.workload_sim import Sim

    settings.KUBECLASS_COMPONENT_MANAGED_FIELDS = True
    sim = Sim(cluster)
    sim.ok("create deployment web --image=nginx --replicas=1")
    sim.run(60)
    deployment = managers(sim.get("deployments", "web"))
    status = deployment[("kube-controller-manager", "Update", "status")]["fieldsV1"]["f:status"]
    assert {"f:replicas", "f:readyReplicas", "f:conditions"} <= set(status)
    pod = managers(sim.pods()[0])
    created = pod[("kube-controller-manager", "Update", "")]["fieldsV1"]
    assert "f:ownerReferences" in created["f:metadata"] and "f:generateName" in created["f:metadata"]
    kubelet = pod[("kubelet", "Update", "status")]["fieldsV1"]["f:status"]
    assert 'k:{"type":"Ready"}' in kubelet["f:conditions"] and "f:podIP" in kubelet


@pytest.mark.django_db
def test_by_default_the_reconcilers_components_leave_managed_fields_alone(cluster):
    from tests.workload_sim import Sim

    sim = Sim(cluster)
    sim.ok("create deployment web --image=nginx --replicas=1")
    sim.run(60)
    assert [(e["manager"], e["operation"]) for e in sim.get("deployments", "web")["metadata"]["managedFields"]] == [
        ("kubectl-create", "Update")
    ]
    assert "managedFields" not in sim.pods()[0]["metadata"]


@pytest.mark.django_db
def test_the_in_process_kubectl_names_its_managers_and_hides_managed_fields(cluster):
    from tests.workload_sim import Sim

    sim = Sim(cluster)
    sim.ok("create configmap cfg --from-literal=a=1")
    sim.ok("label configmap cfg tier=web")
    assert "managedFields" not in sim.ok("get configmap cfg -o yaml")
    shown = sim.ok("get configmap cfg -o yaml --show-managed-fields")
    assert "manager: kubectl-create" in shown and "manager: kubectl-label" in shown


def test_get_yaml_hides_managed_fields_unless_asked(kubectl):
    kubectl.run("create", "configmap", "mf-yaml", "--from-literal=a=1")
    assert "managedFields" not in kubectl.run("get", "configmap", "mf-yaml", "-o", "yaml").stdout
    shown = kubectl.run("get", "configmap", "mf-yaml", "-o", "yaml", "--show-managed-fields").stdout
    assert "managedFields:" in shown and "manager: kubectl-create" in shown and "f:a: {}" in shown


# -- the official Python client -------------------------------------------------------------------
def test_python_client_apply_patch_creates_and_updates(api_client):
    core = client.CoreV1Api(api_client)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py-apply"}, "data": {"k": "1"}}
    created, code, _ = core.patch_namespaced_config_map_with_http_info(
        "py-apply", "default", body, field_manager="my-tool", _content_type="application/apply-patch+yaml"
    )
    assert code == 201  # the apply made it
    assert created.data == {"k": "1"}
    assert [(e.manager, e.operation) for e in created.metadata.managed_fields] == [("my-tool", "Apply")]
    dynamic = DynamicClient(api_client)
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    updated = dynamic.server_side_apply(
        configmaps, body={**body, "data": {"k": "2"}}, namespace="default", field_manager="my-tool"
    )
    assert updated.data.k == "2"
    assert core.read_namespaced_config_map("py-apply", "default").data == {"k": "2"}


def test_python_client_conflict_and_force(api_client):
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-force"), data={"k": "1"})
    )
    dynamic = DynamicClient(api_client)
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py-force"}, "data": {"k": "2"}}
    with pytest.raises(Exception) as refused:
        dynamic.server_side_apply(configmaps, body=body, namespace="default", field_manager="my-tool")
    assert refused.value.status == 409
    status = json.loads(refused.value.body)
    assert status["reason"] == "Conflict"
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "OpenAPI-Generator" using v1: .data.k')
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "OpenAPI-Generator" using v1', "field": ".data.k"}
    ]
    forced = dynamic.server_side_apply(
        configmaps, body=body, namespace="default", field_manager="my-tool", force_conflicts=True
    )
    assert forced.data.k == "2"


def test_an_apply_patch_without_field_manager_is_refused(api_client):
    core = client.CoreV1Api(api_client)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "py-nomanager"}}
    with pytest.raises(ApiException) as refused:
        core.patch_namespaced_config_map("py-nomanager", "default", body, _content_type="application/apply-patch+yaml")
    assert refused.value.status == 422  # ValidatePatchOptions: an Invalid PatchOptions, not a 400
    status = json.loads(refused.value.body)
    assert status["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("py-nomanager", "default")
    assert missing.value.status == 404
