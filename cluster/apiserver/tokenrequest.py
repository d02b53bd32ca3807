"""The TokenRequest API: POST serviceaccounts/<name>/token (pkg/registry/core/serviceaccount/storage/token.go).

`kubectl create token default` posts an authentication.k8s.io/v1 TokenRequest
to the account's `token` subresource; kube-apiserver defaults
spec.expirationSeconds to 3600 and spec.audiences to its API audiences (the
service account issuer, https://kubernetes.default.svc.cluster.local, as kind
configures it), validates the duration (at least 10 minutes, at most 2^32
seconds), looks the account up (`serviceaccounts "x" not found`), and answers
with the request, its name, namespace and creationTimestamp filled in, and
status.token and status.expirationTimestamp. Nothing is stored.

The token is a JWT with upstream's claims (pkg/serviceaccount/claims.go):
aud, exp, iat, iss, jti, kubernetes.io {namespace, serviceaccount {name, uid}},
nbf and sub `system:serviceaccount:<ns>:<name>`, in a header
{"alg":"RS256","kid":…}.

Simplified: the signature is 256 bytes of a keyed digest over the signed part
(derived from the cluster's own secret token), not an RSA signature by sa.key,
and kubeclass does not accept these tokens as credentials (the cluster token
chooses the cluster); no bound object references (pods, secrets, nodes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

ISSUER = "https://kubernetes.default.svc.cluster.local"  # kind's --service-account-issuer
API_AUDIENCES = [ISSUER]  # --api-audiences defaults to the issuer
DEFAULT_EXPIRATION_SECONDS = 3600  # SetDefaults_TokenRequestSpec
MIN_TOKEN_AGE_SECONDS = 600  # validation.MinTokenAgeSec
MAX_TOKEN_AGE_SECONDS = 1 << 32
API_VERSION = "authentication.k8s.io/v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uuid(digest: bytes) -> str:
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x10  # the time-based UUID k8s.io/apimachinery's uuid.NewUUID makes
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _invalid(name: str, field: str, value: object, message: str) -> StatusError:
    return StatusError.invalid(
        "TokenRequest",
        "authentication.k8s.io",
        name,
        [{"reason": "FieldValueInvalid", "field": field, "message": f"Invalid value: {value}: {message}"}],
    )


def sign(
    api: APIServer, namespace: str, account: dict, audiences: list[str], issued: dt.datetime, expiration_seconds: int
) -> str:
    """A JWT for the account, valid from `issued` for `expiration_seconds`."""
    secret = f"{api.cluster.token}:{api.cluster.seed}".encode()
    kid = _b64(hashlib.sha256(b"sa.pub:" + secret).digest())
    now = int(issued.timestamp())
    meta = account["metadata"]
    claims = {
        "aud": audiences,
        "exp": now + expiration_seconds,
        "iat": now,
        "iss": ISSUER,
        "jti": _uuid(
            hashlib.sha256(
                secret + f":{namespace}:{meta['name']}:{issued.isoformat()}:{api.cluster.revision}".encode()
            ).digest()
        ),
        "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": meta["name"], "uid": meta.get("uid", "")}},
        "nbf": now,
        "sub": f"system:serviceaccount:{namespace}:{meta['name']}",
    }
    header = _b64(json.dumps({"alg": "RS256", "kid": kid}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hashlib.shake_256(secret + f"{header}.{payload}".encode()).digest(256)
    return f"{header}.{payload}.{_b64(signature)}"


def create_token(api: APIServer, namespace: str, name: str, body: object) -> dict:
    """POST serviceaccounts/<name>/token: the TokenRequest answered (201 Created)."""
    if not isinstance(body, dict):
        raise StatusError.bad_request("the body of the request must be a TokenRequest object")
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if (kind and kind != "TokenRequest") or (api_version and api_version != API_VERSION):
        raise StatusError.bad_request(
            f"the body of the request was in an unknown format: expected a TokenRequest "
            f"({API_VERSION}), got {kind or '?'} ({api_version or '?'})"
        )
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    given = body.get("spec")
    spec = dict(given) if isinstance(given, dict) else {}
    seconds = spec.get("expirationSeconds")
    if seconds is None:
        seconds = DEFAULT_EXPIRATION_SECONDS
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise StatusError.bad_request(
            'TokenRequest in version "v1" cannot be handled as a TokenRequest: '
            "json: cannot unmarshal into Go struct field "
            "TokenRequestSpec.spec.expirationSeconds of type int64"
        )
    if seconds < MIN_TOKEN_AGE_SECONDS:
        raise _invalid(name, "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes")
    if seconds > MAX_TOKEN_AGE_SECONDS:
        raise _invalid(name, "spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds")
    if meta.get("name") and meta["name"] != name:
        raise _invalid(name, "metadata.name", f'"{meta["name"]}"', "must match the service account name if specified")
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise _invalid(
            name,
            "metadata.namespace",
            f'"{meta["namespace"]}"',
            "must match the service account namespace if specified",
        )
    api._request("create", lookup("serviceaccounts"), namespace, name, "token")  # the step the dashboard shows
    kv = api.store.get(f"/registry/serviceaccounts/{namespace}/{name}")  # the registry's own read of the account
    if kv is None:
        raise StatusError.not_found("serviceaccounts", name)
    account = kv.value
    audiences = [a for a in spec.get("audiences") or [] if isinstance(a, str)] or list(API_AUDIENCES)
    issued = api.now().replace(microsecond=0)
    spec.update({"audiences": audiences, "expirationSeconds": seconds})
    spec.setdefault("boundObjectRef", None)
    return {
        "kind": "TokenRequest",
        "apiVersion": API_VERSION,
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": clock.rfc3339(issued)},
        "spec": spec,
        "status": {
            "token": sign(api, namespace, account, audiences, issued, seconds),
            "expirationTimestamp": clock.rfc3339(issued + dt.timedelta(seconds=seconds)),
        },
    }
