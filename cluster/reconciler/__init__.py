"""The reconciler: runs every simulated component as a list-watch-reconcile loop.

- `workqueue`: client-go's rate-limited work queue — deduplicated keys, delayed
  re-adds on virtual time, a deterministic order.
- `driver`: one cluster's loops (controllers, scheduler, one kubelet per node)
  and their shared watch; it composes the pieces below, one concept a module:
  - `component_loop`: one component with its work queue;
  - `watchcache`: the driver's own writes since its last poll (kube-apiserver's
    watch cache, in small), else the watch read from the store;
  - `routing`: which loops hear an event (field selectors), delivery, relist;
  - `turns`, `timers`: the round robin over loops with ready keys, and one heap
    of every queue's timers;
  - `worker`: processNextWorkItem, one reconcile as a unit of work (`unit`);
  - `batch`: units of work sharing one transaction, behind the lease's fence;
  - `modes`: the three ways to run the loops: realtime ticks, step mode and
    fast-forward; `gc_tuning`: the garbage collector's thresholds.
- `lease`: which process drives a cluster (leader election on a database row).
- `service`: the asyncio task inside the ASGI server that drives every cluster
  whose lease it holds.
- `control`: the dashboard's controls (mode, speed, next step).
"""
