"""The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go), on Pod create.

Mutating (Admit), for every Pod that is not a mirror pod:
- no `spec.serviceAccountName`: it becomes `default` (or the deprecated
  `spec.serviceAccount`, as the v1 conversion carries it over);
- the named ServiceAccount must exist, else the Pod is refused with
  `pods "<name>" is forbidden: error looking up service account <ns>/<sa>:
  serviceaccount "<sa>" not found`;
- unless the Pod's (or else the account's) `automountServiceAccountToken` is
  false, every init container and container that mounts nothing at
  /var/run/secrets/kubernetes.io/serviceaccount gets the read-only mount of a
  volume `kube-api-access-<5 random letters>`, added to the Pod's volumes once:
  a projected volume (defaultMode 420, set explicitly as upstream does since
  #104464) of a serviceAccountToken (path `token`, expirationSeconds 3607,
  WarnOnlyBoundTokenExpirationSeconds), the `ca.crt` of ConfigMap
  `kube-root-ca.crt` (cluster/controllers/rootcacertpublisher.py), and the
  downward API `namespace` file;
- an empty `imagePullSecrets` takes the account's.
Validating, for a mirror pod (annotation `kubernetes.io/config.mirror`, written by
the kubelet for a static pod): it may not name a service account, reference a
secret, or project a service account token.

Simplified: upstream looks `default` up again for up to ten tries (about a
second) when its informer has not seen it, because the serviceaccounts
controller creates it moments after the namespace. Simulated controllers run
only between requests, so a Pod that names `default` in an existing namespace
whose account is not there yet is admitted as that retry would have found it
(an account with no automount opinion and no pull secrets). Any other missing
account is refused at once, as upstream after its single retry. The LimitSecretReferences
check (the deprecated `kubernetes.io/enforce-mountable-secrets` annotation) is not made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.apiserver.errors import StatusError

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

DEFAULT_SERVICE_ACCOUNT = "default"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"  # DefaultAPITokenMountPath
VOLUME_PREFIX = "kube-api-access-"  # ServiceAccountVolumeName + "-"
TOKEN_EXPIRATION_SECONDS = 3607  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
PROJECTED_DEFAULT_MODE = 420  # 0644, ProjectedVolumeSourceDefaultMode
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


def token_volume_source() -> dict:
    """TokenVolumeSource(): what a pod's `kube-api-access-…` volume projects."""
    return {
        "defaultMode": PROJECTED_DEFAULT_MODE,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
            {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {
                "downwardAPI": {
                    "items": [
                        {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                    ]
                }
            },
        ],
    }


def _forbidden(obj: dict, message: str) -> StatusError:
    """admission.NewForbidden for a pod: the name, or the generateName prefix of a name not yet generated."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName", "")
    return StatusError(403, "Forbidden", f'pods "{name}" is forbidden: {message}', {"name": name, "kind": "pods"})


def _annotations(obj: dict) -> dict:
    annotations = (obj.get("metadata") or {}).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _containers(spec: dict, *keys: str) -> list[dict]:
    return [c for key in keys if isinstance(spec.get(key), list) for c in spec[key] if isinstance(c, dict)]


def lookup(api: APIServer, namespace: str, name: str) -> dict | None:
    """getServiceAccount: the account from the caller's informer cache (the reconciler's components have one,
    cluster/reconciler/driver.py), else a live read of its etcd key; None when it does not exist. As
    upstream's plugin, a miss in the cache is looked up live before the account is called missing."""
    cache = api.hooks.serviceaccount_cache
    if cache is not None:
        found = cache(f"{namespace}/{name}")
        if found is not None:
            return found
    kv = api.store.get(f"/registry/serviceaccounts/{namespace}/{name}")
    return None if kv is None else kv.value


def admit(api: APIServer, obj: dict) -> None:
    """The plugin's Admit and Validate on a Pod being created."""
    spec = obj["spec"]
    if MIRROR_ANNOTATION in _annotations(obj):
        _validate_mirror_pod(obj, spec)
        return
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec.get("serviceAccount") or DEFAULT_SERVICE_ACCOUNT
    name = spec["serviceAccountName"]
    namespace = obj["metadata"]["namespace"]
    if not isinstance(name, str):
        return  # the schema check has refused it already
    account = lookup(api, namespace, name)
    if account is None:
        if name != DEFAULT_SERVICE_ACCOUNT:
            raise _forbidden(
                obj, f'error looking up service account {namespace}/{name}: serviceaccount "{name}" not found'
            )
        account = {"metadata": {"name": name, "namespace": namespace}}  # what the retry would have found
    if _should_automount(account, spec):
        _mount_token(api, obj, spec)
    pull = account.get("imagePullSecrets") or []
    if not spec.get("imagePullSecrets") and pull:
        spec["imagePullSecrets"] = [{"name": s.get("name", "")} for s in pull if isinstance(s, dict)]


def _should_automount(account: dict, spec: dict) -> bool:
    """shouldAutomount: the Pod's preference wins, then the account's; true by default."""
    if isinstance(spec.get("automountServiceAccountToken"), bool):
        return spec["automountServiceAccountToken"]
    if isinstance(account.get("automountServiceAccountToken"), bool):
        return account["automountServiceAccountToken"]
    return True


def _mount_token(api: APIServer, obj: dict, spec: dict) -> None:
    """mountServiceAccountToken: one `kube-api-access-…` volume, mounted by every container that lacks one."""
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        volumes = []
    volume_name = ""
    for volume in volumes:
        if isinstance(volume, dict) and str(volume.get("name", "")).startswith(VOLUME_PREFIX):
            volume_name = volume["name"]
            break
    has_volume = bool(volume_name)
    if not volume_name:
        meta = obj["metadata"]
        volume_name = VOLUME_PREFIX + api.random_suffix(
            "kube-api-access",
            meta.get("namespace", ""),
            meta.get("name") or meta.get("generateName", ""),
            api.cluster.revision,
        )
    needs_volume = False
    for container in _containers(spec, "initContainers", "containers"):
        mounts = container.get("volumeMounts") if isinstance(container.get("volumeMounts"), list) else None
        if mounts is not None and any(isinstance(m, dict) and m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
            continue  # an existing mount at the default path prevents mounting the API token
        if mounts is None:
            mounts = container["volumeMounts"] = []
        mounts.append({"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})
        needs_volume = True
    if needs_volume and not has_volume:
        volumes.append({"name": volume_name, "projected": token_volume_source()})
        spec["volumes"] = volumes


def _validate_mirror_pod(obj: dict, spec: dict) -> None:
    if spec.get("serviceAccountName"):
        raise _forbidden(obj, "mirror pods may not reference service accounts")
    volumes = [v for v in spec.get("volumes") or [] if isinstance(v, dict)]
    secret_env = any(
        isinstance(env, dict) and ((env.get("valueFrom") or {}).get("secretKeyRef"))
        for c in _containers(spec, "initContainers", "containers")
        for env in c.get("env") or []
    )
    secret_env_from = any(
        isinstance(source, dict) and source.get("secretRef")
        for c in _containers(spec, "initContainers", "containers")
        for source in c.get("envFrom") or []
    )
    projected = [s for v in volumes for s in ((v.get("projected") or {}).get("sources") or []) if isinstance(s, dict)]
    if (
        spec.get("imagePullSecrets")
        or secret_env
        or secret_env_from
        or any(v.get("secret") for v in volumes)
        or any(s.get("secret") for s in projected)
    ):
        raise _forbidden(obj, "mirror pods may not reference secrets")
    if any(s.get("serviceAccountToken") for s in projected):
        raise _forbidden(obj, "mirror pods may not use service account token volume projection")
