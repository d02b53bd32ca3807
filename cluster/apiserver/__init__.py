"""The simulated kube-apiserver: the one way in to a cluster's state."""
