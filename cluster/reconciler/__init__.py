"""The reconciler: runs every simulated component as a list-watch-reconcile loop.

- `workqueue`: client-go's rate-limited work queue — deduplicated keys, delayed
  re-adds on virtual time, a deterministic order.
- `driver`: one cluster's loops (controllers, scheduler, one kubelet per node),
  their shared watch, and the three ways to run them: realtime ticks, step mode
  and fast-forward.
- `lease`: which process drives a cluster (leader election on a database row).
- `service`: the asyncio task inside the ASGI server that drives every cluster
  whose lease it holds.
- `control`: the dashboard's controls (mode, speed, next step).
"""
