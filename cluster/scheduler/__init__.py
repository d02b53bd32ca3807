"""kube-scheduler (pkg/scheduler), simulated: the scheduling framework, its default plugins and binding.

framework.py holds the plugin interfaces, Status, CycleState and NodeInfo;
plugins/ one module per in-tree plugin of the v1.32 default profile that kubeclass
simulates; diagnosis.py the FailedScheduling message; scheduler.py the control loop.
"""
