"""kube-controller-manager's controllers, each a list-watch-reconcile loop over the API server."""
