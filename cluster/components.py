"""Every simulated component the reconciler runs, in the order it gives them work.

The control plane's loops (kube-controller-manager's controllers, the
local-path provisioner kind ships, kube-scheduler) run once per cluster; the
node agents (the kubelet) once per Node. Each keeps the `Component` contract
(cluster/component.py): the reconciler builds it with an APIServer whose
client name is the component's name.
"""

from __future__ import annotations

from cluster.component import Controller
from cluster.controllers.cronjob import CronJobController
from cluster.controllers.daemonset import DaemonSetController
from cluster.controllers.deployment import DeploymentController
from cluster.controllers.disruption import DisruptionController
from cluster.controllers.endpoints import EndpointsController
from cluster.controllers.endpointslice import EndpointSliceController
from cluster.controllers.garbagecollector import GarbageCollector
from cluster.controllers.hpa import HorizontalPodAutoscalerController
from cluster.controllers.job import JobController
from cluster.controllers.namespace import NamespaceController
from cluster.controllers.nodelifecycle import NodeLifecycleController
from cluster.controllers.provisioner import LocalPathProvisioner
from cluster.controllers.pvbinder import PersistentVolumeBinderController
from cluster.controllers.replicaset import ReplicaSetController
from cluster.controllers.resourcequota import ResourceQuotaController
from cluster.controllers.rootcacertpublisher import RootCACertPublisher
from cluster.controllers.serviceaccount import ServiceAccountsController
from cluster.controllers.statefulset import StatefulSetController
from cluster.controllers.ttlafterfinished import TTLAfterFinishedController
from cluster.kubelet import Kubelet
from cluster.scheduler.scheduler import Scheduler

CONTROL_PLANE: tuple[type[Controller], ...] = (
    NamespaceController,
    ServiceAccountsController,
    RootCACertPublisher,
    DeploymentController,
    ReplicaSetController,
    DaemonSetController,
    StatefulSetController,
    JobController,
    CronJobController,
    TTLAfterFinishedController,
    GarbageCollector,
    Scheduler,
    EndpointsController,
    EndpointSliceController,
    HorizontalPodAutoscalerController,
    PersistentVolumeBinderController,
    LocalPathProvisioner,
    NodeLifecycleController,
    ResourceQuotaController,
    DisruptionController,
)
NODE_AGENTS: tuple[type[Kubelet], ...] = (Kubelet,)
