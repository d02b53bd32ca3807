"""What each box of the architecture map is, for a learner who clicks it.

Written for kubeclass from the Kubernetes documentation's description of the
components; each says what is simulated here and where the notes simplify.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COMPONENTS = {
    "kubectl": (
        "kubectl",
        _(
            "The command-line client. It turns your command into HTTP requests to kube-apiserver and prints the "
            "answer. It never talks to a node or to etcd. The terminal on this page runs kubectl's verbs inside "
            "kubeclass; your own kubectl works against this cluster too (see 'Use your own kubectl')."
        ),
    ),
    "kube-apiserver": (
        "kube-apiserver",
        _(
            "The front door of the control plane and the only component that reads and writes etcd. Every "
            "request is authenticated, defaulted, admitted and validated here before it is stored. Every other "
            "component is a client: it watches the API server for changes and writes its results back."
        ),
    ),
    "etcd": (
        "etcd",
        _(
            "A consistent key-value store that keeps the cluster's state: every object under a key such as "
            "/registry/pods/default/web-1. Each write makes a new revision, which becomes the object's "
            "resourceVersion. The etcd tab lists its keys; the time-travel slider reads past revisions."
        ),
    ),
    "kube-controller-manager": (
        "kube-controller-manager",
        _(
            "One process running many controllers: deployment, replicaset, endpoints, node lifecycle, garbage "
            "collector, namespace, HPA, volume binding. Each compares desired state (spec) with actual state "
            "(status) and asks the API server for changes that close the gap. It never starts a container "
            "itself."
        ),
    ),
    "kube-scheduler": (
        "kube-scheduler",
        _(
            "Watches for pods without a node. For each one it filters out the nodes that cannot run it (too "
            "little CPU or memory left for what the pod requests, a taint it does not tolerate, a node selector "
            "it does not match), scores the rest, and writes a Binding that sets spec.nodeName. The scheduler tab "
            "shows the last decision, node by node."
        ),
    ),
    "kubelet": (
        "kubelet",
        _(
            "The agent on every node. It watches the API server for pods bound to its node, asks the container "
            "runtime to start them, runs their probes, restarts crashed containers with back-off, and reports "
            "pod and node status back. It renews its node's Lease every 10 seconds: that is the node's "
            "heartbeat."
        ),
    ),
    "containerd": (
        "containerd",
        _(
            "The container runtime. The kubelet calls it over the CRI (RunPodSandbox, PullImage, CreateContainer, "
            "StartContainer, StopContainer). Here it is simulated: images are pulled from a simulated registry and "
            "a container's command runs on the cluster's virtual clock."
        ),
    ),
    "kube-proxy": (
        "kube-proxy",
        _(
            "Runs on every node and programs the node's packet rules so that a connection to a Service's "
            "virtual IP reaches one of its ready pods, chosen at random. It watches Services and "
            "EndpointSlices; a pod that is not ready is left out."
        ),
    ),
}


def describe(component_id: str) -> dict | None:
    found = COMPONENTS.get(component_id)
    if found is None:
        return None
    name, text = found
    return {"id": component_id, "name": name, "text": str(text)}
