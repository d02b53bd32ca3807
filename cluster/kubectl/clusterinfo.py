"""`kubectl cluster-info` (staging/src/k8s.io/kubectl/pkg/cmd/clusterinfo/clusterinfo.go, v1.32).

Prints where the control plane answers, then every Service labelled
`kubernetes.io/cluster-service=true` in kube-system (or the namespace given
with -n): by its `kubernetes.io/name` label, at the API server's proxy path
`<host>/api/v1/namespaces/<ns>/services/[https:]<name>[:<port name>]/proxy`,
or at `http://<ip>:<port>` for each port of a LoadBalancer with an ingress;
then the hint about `cluster-info dump`.

The in-page kubectl has no kubeconfig: its host is the cluster's API URL as
the dashboard shows it (KUBECLASS_API_URL, the API's root, where the token
chooses the cluster), what a real kubectl given kubeclass's kubeconfig
prints. Simplified: no `cluster-info dump`.
"""

from __future__ import annotations

from django.conf import settings

from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import check_err, parse_flags

CLUSTER_SERVICE = "kubernetes.io/cluster-service=true"
DUMP_HINT = "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"


@verb("cluster-info")
def cluster_info(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, [], "cluster-info")
    if parsed is None:
        return 1
    if parsed.positional[:1] == ["dump"]:
        return check_err(
            ctx, ["kubeclass does not offer `kubectl cluster-info dump`: use `kubectl get` and `kubectl describe`"]
        )
    namespace = ctx.namespace if ctx.namespace_explicit else "kube-system"
    host = api_host(ctx)
    services = ctx.api.list("services", namespace, label_selector=CLUSTER_SERVICE)["items"]
    ctx.stdout.write(f"Kubernetes control plane is running at {host}\n")
    for service in services:
        labels = service["metadata"].get("labels") or {}
        name = labels.get("kubernetes.io/name") or service["metadata"]["name"]
        ctx.stdout.write(f"{name} is running at {service_link(host, service)}\n")
    ctx.stdout.write(DUMP_HINT)
    return 0


def api_host(ctx: Context) -> str:
    """The cluster's API URL, as the dashboard and `manage.py cluster kubeconfig` give it."""
    return str(settings.KUBECLASS_API_URL).rstrip("/")


def service_link(host: str, service: dict) -> str:
    spec, meta = service.get("spec") or {}, service["metadata"]
    ports = spec.get("ports") or []
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        address = ingress[0].get("ip") or ingress[0].get("hostname") or ""
        return "".join(f"http://{address}:{port.get('port')} " for port in ports)
    name = meta["name"]
    if ports:
        port = ports[0]
        scheme = "https" if port.get("name") == "https" or port.get("port") == 443 else ""
        name = join_scheme_name_port(scheme, name, port.get("name") or "")
    return f"{host}/api/v1/namespaces/{meta.get('namespace', '')}/services/{name}/proxy"


def join_scheme_name_port(scheme: str, name: str, port: str) -> str:
    """utilnet.JoinSchemeNamePort: `<scheme>:<name>:<port>`, with empty parts left out from the front."""
    if scheme:
        return f"{scheme}:{name}:{port}"
    return f"{name}:{port}" if port else name
