"""The review APIs a client asks about itself: what `kubectl auth can-i` and `kubectl auth whoami` call.

- POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
  (pkg/registry/authorization/selfsubjectaccessreview/rest.go): the review is
  checked as ValidateSelfSubjectAccessReview checks it (exactly one of
  resourceAttributes and nonResourceAttributes) and answered with the
  authorizer's decision. The bearer token's holder is in `system:masters`, which
  kube-apiserver's first authorizer (the privileged group one) allows
  everything, with no reason given.
- POST /apis/authentication.k8s.io/v1/selfsubjectreviews
  (pkg/registry/authentication/selfsubjectreview/rest.go): the caller's user
  info, as a static token file user (`token,kubeclass-admin,,system:masters`):
  its name and groups, `system:authenticated` added by the authenticator.

Both are create-only and never stored; any other verb is a 405 and the
namespaced forms (localsubjectaccessreviews) are not served.

Simplified: the two groups are served but not listed in discovery.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from cluster import clock
from cluster.apiserver.errors import StatusError, field_error
from cluster.apiserver.http import codec
from cluster.models import Cluster

USERNAME = "kubeclass-admin"
GROUPS = ["system:masters", "system:authenticated"]
SSAR = ("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview")
SSR = ("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview")
ROUTES = {
    ("apis", group, version, plural): (group, version, plural, kind) for group, version, plural, kind in (SSAR, SSR)
}


def route(parts: list[str]) -> tuple[str, str, str, str] | None:
    """The review a path names, or None."""
    return ROUTES.get(tuple(parts))  # type: ignore[arg-type]


def serve(request: HttpRequest, cluster: Cluster, review: tuple[str, str, str, str]) -> HttpResponse:
    group, version, plural, kind = review
    if request.method != "POST":
        raise StatusError.method_not_allowed()
    body = codec.decode_body(request, into_kind=kind)
    if not isinstance(body, dict):
        body = {}
    api_version = f"{group}/{version}"
    given_kind, given_version = body.get("kind"), body.get("apiVersion")
    if given_kind and given_version and (given_kind, given_version) != (kind, api_version):
        raise StatusError.bad_request(
            f"the kind in the data ({given_kind}) does not match the expected kind ({kind})"
            if given_kind != kind
            else f"the API version in the data ({given_version}) does not match the expected "
            f"API version ({api_version})"
        )
    if kind == "SelfSubjectReview":
        answer = {
            "kind": kind,
            "apiVersion": api_version,
            "metadata": {"creationTimestamp": clock.rfc3339(clock.now(cluster))},
            "status": {"userInfo": {"username": USERNAME, "groups": list(GROUPS)}},
        }
        return codec.json_response(answer, status=201)
    spec = body.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        raise StatusError.invalid(
            kind,
            group,
            "",
            [
                field_error(
                    "invalid",
                    "spec.resourceAttributes",
                    "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    resource,
                )
            ],
        )
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("creationTimestamp", None)
    answer = {"kind": kind, "apiVersion": api_version, "metadata": metadata, "spec": spec, "status": {"allowed": True}}
    return codec.json_response(answer, status=201)
