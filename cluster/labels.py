"""Well-known label keys that several components share (k8s.io/api's well_known_labels.go).

A label key is part of the API, not of the component that happens to set it:
the EndpointSlice controller writes `kubernetes.io/service-name`, and kube-proxy
and CoreDNS select slices by it. Keeping the keys here lets the readers depend
on the API's vocabulary instead of on a controller module.
"""

from __future__ import annotations

# discovery.k8s.io/v1: the Service an EndpointSlice belongs to, and who manages the slice.
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
# core/v1: the failure domain a node reports.
ZONE = "topology.kubernetes.io/zone"
