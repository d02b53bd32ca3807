"""`kubectl exec POD [-c CONTAINER] -- COMMAND [ARGS...]`, for the commands a Service lesson runs.

kubeclass runs no processes, so exec simulates the few commands used to look at
service discovery and load balancing from inside a pod: `nslookup NAME` (bind9's
output, through the cluster DNS of cluster/dns.py), and `wget -qO- URL` /
`curl URL`, which resolve the host the same way and connect through kube-proxy's
rules (cluster/proxy.py) to one of the Service's pods. The reply body is what the
answering pod's image serves: nginx's welcome page, the pod's hostname for
serve_hostname/agnhost-style images, `OK!` for the HPA walkthrough's php-apache;
for other images a one-line kubeclass note naming the pod that answered. A failing
command ends with kubectl's `command terminated with exit code N`. Any other command
is refused with a message saying kubeclass does not simulate it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from cluster import dns, proxy
from cluster.apiserver.server import APIServer
from cluster.kubectl.cli import Context, verb

SIMULATED = ("nslookup", "wget", "curl")
NGINX_WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""


@verb("exec")
def exec_(ctx: Context, args: list[str]) -> int:
    if "--" not in args:
        ctx.stderr.write("error: you must specify at least one command for the container\n")
        return 1
    split = args.index("--")
    flags, command = args[:split], args[split + 1:]
    positional, container = _parse_flags(flags)
    if len(positional) != 1 or not command:
        ctx.stderr.write("error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\n"
                         "POD_NAME and COMMAND are required arguments for the exec command\n")
        return 1
    pod = ctx.api.get("pods", ctx.namespace, positional[0].removeprefix("pod/").removeprefix("pods/"))
    problem = _cannot_exec(pod, container)
    if problem:
        ctx.stderr.write(problem)
        return 1
    if command[0] not in SIMULATED:
        ctx.stderr.write(f'error: kubeclass simulates only {", ".join(SIMULATED)} inside containers; '
                         f'"{command[0]}" is not simulated\n')
        return 1
    code, out, err = run_command(ctx.api, pod, command)
    ctx.stdout.write(out)
    ctx.stderr.write(err)
    if code:
        ctx.stderr.write(f"command terminated with exit code {code}\n")
    return code


def _parse_flags(flags: list[str]) -> tuple[list[str], str]:
    positional, container, i = [], "", 0
    while i < len(flags):
        flag = flags[i]
        if flag in ("-c", "--container") and i + 1 < len(flags):
            container, i = flags[i + 1], i + 2
            continue
        if flag.startswith("--container="):
            container = flag.partition("=")[2]
        elif not flag.startswith("-"):
            positional.append(flag)
        i += 1
    return positional, container


def _cannot_exec(pod: dict, container: str) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    name = pod["metadata"]["name"]
    if container and container not in names:
        return f"Error from server (BadRequest): container {container} is not valid for pod {name}\n"
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return f"error: cannot exec into a container in a completed pod; current phase is {phase}\n"
    if phase != "Running":
        return f'error: unable to upgrade connection: container not found ("{container or names[0]}")\n'
    return ""


def run_command(api: APIServer, pod: dict, command: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of a simulated command in the pod."""
    namespace = pod["metadata"].get("namespace", "default")
    if command[0] == "nslookup":
        names = [a for a in command[1:] if not a.startswith("-")]
        if not names:
            return 1, "", "nslookup: a name to look up is required\n"
        code, out = dns.nslookup(api, names[0], namespace)
        return code, out, ""
    urls = [a for a in command[1:] if not a.startswith("-")]
    if not urls:
        return 1, "", f"{command[0]}: a URL is required\n"
    return fetch_url(api, pod, command[0], urls[-1])


def fetch_url(api: APIServer, pod: dict, tool: str, url: str) -> tuple[int, str, str]:
    namespace = pod["metadata"].get("namespace", "default")
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host, port = parts.hostname or "", parts.port or 80
    try:
        address = host if dns.is_ipv4(host) else dns.resolve(api, host, namespace).addresses[0]
    except (dns.NXDomain, dns.ServFail, IndexError):
        return (6, "", f"curl: (6) Could not resolve host: {host}\n") if tool == "curl" else \
            (1, "", f"wget: bad address '{host}'\n")
    client = f"{namespace}/{pod['metadata']['name']}"
    endpoint = _connect(api, address, port, namespace, client)
    if endpoint is None:
        return (7, "", f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server\n") \
            if tool == "curl" else (1, "", f"wget: can't connect to remote host ({address}): Connection refused\n")
    return 0, _body(api, endpoint), ""


def _connect(api: APIServer, address: str, port: int, namespace: str, client: str) -> proxy.Endpoint | None:
    """Through a Service's VIP via kube-proxy's rules, or straight to a pod IP."""
    if any((s.get("spec") or {}).get("clusterIP") == address for s in api.list("services")["items"]):
        try:
            return proxy.connect(api, f"{address}:{port}", namespace, client, salt=client)
        except proxy.ConnectionRefused:
            return None
    for pod in api.list("pods")["items"]:
        if (pod.get("status") or {}).get("podIP") == address and (pod.get("status") or {}).get("phase") == "Running":
            return proxy.Endpoint(address, port, pod["metadata"]["name"], pod["spec"].get("nodeName", ""))
    return None


def _body(api: APIServer, endpoint: proxy.Endpoint) -> str:
    pods = [p for p in api.list("pods")["items"] if p["metadata"]["name"] == endpoint.pod and
            (p.get("status") or {}).get("podIP") == endpoint.ip]
    image = ((pods[0]["spec"].get("containers") or [{}])[0].get("image", "") if pods else "").lower()
    if "nginx" in image:
        return NGINX_WELCOME
    if "hostname" in image or "agnhost" in image or "hostnames" in image:
        return endpoint.pod + "\n"
    if "php-apache" in image:
        return "OK!"
    return f"(kubeclass: answered by pod {endpoint.pod} at {endpoint}; its image is not simulated)\n"
