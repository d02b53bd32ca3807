"""core.PodSpec as Go knows it inside kube-apiserver (pkg/apis/core/types.go, v1.32), for gocmp's diff.

`pod_spec(json_spec)` turns a v1 PodSpec as JSON into the internal struct's
value, as Convert_v1_PodSpec_To_core_PodSpec does: the host namespace fields
(hostNetwork, hostPID, hostIPC, shareProcessNamespace, hostUsers) move into an
always present SecurityContext, the deprecated serviceAccount goes, and every
resource.Quantity is parsed as ParseQuantity parses it (`{i: {value: 500,
scale: -3}, s: "500m", Format: "DecimalSI"}`), compared by its Equal method.

The structs a learner's pod uses are declared field by field, in the Go
declaration order that go-cmp prints and counts (`... // 21 identical
fields`); any other object (affinity, most volume sources) is given a struct of
the fields it has, their JSON names capitalised, which prints alike.
"""

from __future__ import annotations

import copy
import re
from typing import Sequence
from decimal import Decimal, InvalidOperation

from cluster.apiserver.validation.gocmp_values import GoType

STRING = GoType("string")
BOOL = GoType("bool")
INT32 = GoType("int", prim="int32")
INT64 = GoType("int", prim="int64")


def named(kind_name: str) -> GoType:
    """A named string type: core.RestartPolicy and its kin."""
    return GoType("string", name=kind_name)


def ptr(t: GoType) -> GoType:
    return GoType("ptr", elem=t)


def slice_of(t: GoType) -> GoType:
    return GoType("slice", elem=t)


def struct(name: str, *fields: tuple) -> GoType:
    """A struct; each field is (GoName, type) with the JSON name its lowerCamel form, or (GoName, type, json)
    ("" for an embedded struct whose fields are inline in JSON)."""
    t = GoType("struct", name=name)
    for spec in fields:
        go_name, ftype = spec[0], spec[1]
        json_name = spec[2] if len(spec) > 2 else go_name[0].lower() + go_name[1:]
        t.fields.append((go_name, ftype))
        t.json[go_name] = json_name
    return t


# -- resource.Quantity ------------------------------------------------------------------------
_QUANTITY_RE = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$")
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

INT64_AMOUNT = struct("resource.int64Amount", ("value", INT64), ("scale", GoType("int", name="resource.Scale")))
INF_DEC = GoType("string", name="*inf.Dec", stringer=True)
INF_DEC_AMOUNT = struct("resource.infDecAmount", ("Dec", INF_DEC))


def _quantity_equal(a: object, b: object) -> bool:
    return isinstance(a, dict) and isinstance(b, dict) and a.get("_n") == b.get("_n")


QUANTITY = struct(
    "resource.Quantity", ("i", INT64_AMOUNT), ("d", INF_DEC_AMOUNT), ("s", STRING), ("Format", named("resource.Format"))
)
QUANTITY.equal = _quantity_equal


def quantity(text: object) -> dict:
    """ParseQuantity's fast path: int64Amount{value, scale}, the format, and the text kept when canonical."""
    raw = str(text).strip()
    if raw == "0":
        return {"s": "0", "Format": "DecimalSI", "_n": Decimal(0)}
    m = _QUANTITY_RE.match(raw)
    if not m:
        return {"s": raw, "_n": raw}
    sign, whole, frac, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    try:
        number = Decimal(f"{sign}{whole or '0'}.{frac or '0'}")
    except InvalidOperation:
        return {"s": raw, "_n": raw}
    if suffix in _BINARY_SUFFIXES:
        fmt, exponent, base = "BinarySI", _BINARY_SUFFIXES[suffix], 2
        amount = number * (2**exponent)
    elif suffix in _DECIMAL_SUFFIXES:
        fmt, exponent, base = "DecimalSI", _DECIMAL_SUFFIXES[suffix], 10
        amount = number.scaleb(exponent)
    elif suffix[:1] in "eE":
        fmt, exponent, base = "DecimalExponent", int(suffix[1:] or 0), 10
        amount = number.scaleb(exponent)
    else:
        return {"s": raw, "_n": raw}
    value: dict = {"Format": fmt, "_n": amount}
    if base == 2 and not frac:
        scaled = int(number) * (1 << exponent)
        value["i"] = {"value": scaled}
        if exponent % 10 == 0 and int(whole or 0) & 0x07:
            value["s"] = raw
        return value
    shifted = (whole or "") + frac
    scale = exponent - len(frac)
    if base == 10 and scale >= -9 and shifted.lstrip("0") != "" or shifted == "0":
        digits = int(shifted or 0)
        value["i"] = {"value": -digits if sign == "-" else digits, "scale": scale}
        if scale % 3 == 0 and not shifted.endswith("000") and shifted[:1] != "0":
            value["s"] = raw
        return value
    value["d"] = {"Dec": str(amount.normalize())}
    return value


RESOURCE_NAME = GoType("string", name="core.ResourceName", stringer=True)
RESOURCE_LIST = GoType("map", name="core.ResourceList", key=RESOURCE_NAME, elem=QUANTITY)

# -- the structs of a pod spec ----------------------------------------------------------------
LOCAL_OBJECT_REFERENCE = struct("core.LocalObjectReference", ("Name", STRING))
INT_OR_STRING = struct(
    "intstr.IntOrString", ("Type", GoType("int", name="intstr.Type")), ("IntVal", INT32), ("StrVal", STRING)
)
CONTAINER_PORT = struct(
    "core.ContainerPort",
    ("Name", STRING),
    ("HostPort", INT32),
    ("ContainerPort", INT32),
    ("Protocol", named("core.Protocol")),
    ("HostIP", STRING, "hostIP"),
)
OBJECT_FIELD_SELECTOR = struct("core.ObjectFieldSelector", ("APIVersion", STRING, "apiVersion"), ("FieldPath", STRING))
RESOURCE_FIELD_SELECTOR = struct(
    "core.ResourceFieldSelector", ("ContainerName", STRING), ("Resource", STRING), ("Divisor", QUANTITY)
)
CONFIG_MAP_KEY_SELECTOR = struct(
    "core.ConfigMapKeySelector",
    ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""),
    ("Key", STRING),
    ("Optional", ptr(BOOL)),
)
SECRET_KEY_SELECTOR = struct(
    "core.SecretKeySelector",
    ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""),
    ("Key", STRING),
    ("Optional", ptr(BOOL)),
)
ENV_VAR_SOURCE = struct(
    "core.EnvVarSource",
    ("FieldRef", ptr(OBJECT_FIELD_SELECTOR)),
    ("ResourceFieldRef", ptr(RESOURCE_FIELD_SELECTOR)),
    ("ConfigMapKeyRef", ptr(CONFIG_MAP_KEY_SELECTOR)),
    ("SecretKeyRef", ptr(SECRET_KEY_SELECTOR)),
)
ENV_VAR = struct("core.EnvVar", ("Name", STRING), ("Value", STRING), ("ValueFrom", ptr(ENV_VAR_SOURCE)))
CONFIG_MAP_ENV_SOURCE = struct(
    "core.ConfigMapEnvSource", ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""), ("Optional", ptr(BOOL))
)
SECRET_ENV_SOURCE = struct(
    "core.SecretEnvSource", ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""), ("Optional", ptr(BOOL))
)
ENV_FROM_SOURCE = struct(
    "core.EnvFromSource",
    ("Prefix", STRING),
    ("ConfigMapRef", ptr(CONFIG_MAP_ENV_SOURCE)),
    ("SecretRef", ptr(SECRET_ENV_SOURCE)),
)
RESOURCE_CLAIM = struct("core.ResourceClaim", ("Name", STRING), ("Request", STRING))
RESOURCE_REQUIREMENTS = struct(
    "core.ResourceRequirements",
    ("Limits", RESOURCE_LIST),
    ("Requests", RESOURCE_LIST),
    ("Claims", slice_of(RESOURCE_CLAIM)),
)
CONTAINER_RESIZE_POLICY = struct(
    "core.ContainerResizePolicy",
    ("ResourceName", RESOURCE_NAME),
    ("RestartPolicy", named("core.ResourceResizeRestartPolicy")),
)
VOLUME_MOUNT = struct(
    "core.VolumeMount",
    ("Name", STRING),
    ("ReadOnly", BOOL),
    ("RecursiveReadOnly", ptr(named("core.RecursiveReadOnlyMode"))),
    ("MountPath", STRING),
    ("SubPath", STRING),
    ("MountPropagation", ptr(named("core.MountPropagationMode"))),
    ("SubPathExpr", STRING),
)
VOLUME_DEVICE = struct("core.VolumeDevice", ("Name", STRING), ("DevicePath", STRING))
EXEC_ACTION = struct("core.ExecAction", ("Command", slice_of(STRING)))
HTTP_HEADER = struct("core.HTTPHeader", ("Name", STRING), ("Value", STRING))
HTTP_GET_ACTION = struct(
    "core.HTTPGetAction",
    ("Path", STRING),
    ("Port", INT_OR_STRING),
    ("Host", STRING),
    ("Scheme", named("core.URIScheme")),
    ("HTTPHeaders", slice_of(HTTP_HEADER), "httpHeaders"),
)
TCP_SOCKET_ACTION = struct("core.TCPSocketAction", ("Port", INT_OR_STRING), ("Host", STRING))
GRPC_ACTION = struct("core.GRPCAction", ("Port", INT32), ("Service", ptr(STRING)))
SLEEP_ACTION = struct("core.SleepAction", ("Seconds", INT64))
PROBE_HANDLER = struct(
    "core.ProbeHandler",
    ("Exec", ptr(EXEC_ACTION)),
    ("HTTPGet", ptr(HTTP_GET_ACTION), "httpGet"),
    ("TCPSocket", ptr(TCP_SOCKET_ACTION), "tcpSocket"),
    ("GRPC", ptr(GRPC_ACTION), "grpc"),
)
PROBE = struct(
    "core.Probe",
    ("ProbeHandler", PROBE_HANDLER, ""),
    ("InitialDelaySeconds", INT32),
    ("TimeoutSeconds", INT32),
    ("PeriodSeconds", INT32),
    ("SuccessThreshold", INT32),
    ("FailureThreshold", INT32),
    ("TerminationGracePeriodSeconds", ptr(INT64)),
)
LIFECYCLE_HANDLER = struct(
    "core.LifecycleHandler",
    ("Exec", ptr(EXEC_ACTION)),
    ("HTTPGet", ptr(HTTP_GET_ACTION), "httpGet"),
    ("TCPSocket", ptr(TCP_SOCKET_ACTION), "tcpSocket"),
    ("Sleep", ptr(SLEEP_ACTION)),
)
LIFECYCLE = struct("core.Lifecycle", ("PostStart", ptr(LIFECYCLE_HANDLER)), ("PreStop", ptr(LIFECYCLE_HANDLER)))
CAPABILITIES = struct(
    "core.Capabilities", ("Add", slice_of(named("core.Capability"))), ("Drop", slice_of(named("core.Capability")))
)
SE_LINUX_OPTIONS = struct(
    "core.SELinuxOptions", ("User", STRING), ("Role", STRING), ("Type", STRING), ("Level", STRING)
)
SECCOMP_PROFILE = struct(
    "core.SeccompProfile", ("Type", named("core.SeccompProfileType")), ("LocalhostProfile", ptr(STRING))
)
APP_ARMOR_PROFILE = struct(
    "core.AppArmorProfile", ("Type", named("core.AppArmorProfileType")), ("LocalhostProfile", ptr(STRING))
)
SECURITY_CONTEXT = struct(
    "core.SecurityContext",
    ("Capabilities", ptr(CAPABILITIES)),
    ("Privileged", ptr(BOOL)),
    ("SELinuxOptions", ptr(SE_LINUX_OPTIONS), "seLinuxOptions"),
    ("WindowsOptions", ptr(GoType("struct", name="core.WindowsSecurityContextOptions"))),
    ("RunAsUser", ptr(INT64)),
    ("RunAsGroup", ptr(INT64)),
    ("RunAsNonRoot", ptr(BOOL)),
    ("ReadOnlyRootFilesystem", ptr(BOOL)),
    ("AllowPrivilegeEscalation", ptr(BOOL)),
    ("ProcMount", ptr(named("core.ProcMountType"))),
    ("SeccompProfile", ptr(SECCOMP_PROFILE)),
    ("AppArmorProfile", ptr(APP_ARMOR_PROFILE)),
)
CONTAINER = struct(
    "core.Container",
    ("Name", STRING),
    ("Image", STRING),
    ("Command", slice_of(STRING)),
    ("Args", slice_of(STRING)),
    ("WorkingDir", STRING),
    ("Ports", slice_of(CONTAINER_PORT)),
    ("EnvFrom", slice_of(ENV_FROM_SOURCE)),
    ("Env", slice_of(ENV_VAR)),
    ("Resources", RESOURCE_REQUIREMENTS),
    ("ResizePolicy", slice_of(CONTAINER_RESIZE_POLICY)),
    ("RestartPolicy", ptr(named("core.ContainerRestartPolicy"))),
    ("VolumeMounts", slice_of(VOLUME_MOUNT)),
    ("VolumeDevices", slice_of(VOLUME_DEVICE)),
    ("LivenessProbe", ptr(PROBE)),
    ("ReadinessProbe", ptr(PROBE)),
    ("StartupProbe", ptr(PROBE)),
    ("Lifecycle", ptr(LIFECYCLE)),
    ("TerminationMessagePath", STRING),
    ("TerminationMessagePolicy", named("core.TerminationMessagePolicy")),
    ("ImagePullPolicy", named("core.PullPolicy")),
    ("SecurityContext", ptr(SECURITY_CONTEXT)),
    ("Stdin", BOOL),
    ("StdinOnce", BOOL),
    ("TTY", BOOL, "tty"),
)
KEY_TO_PATH = struct("core.KeyToPath", ("Key", STRING), ("Path", STRING), ("Mode", ptr(INT32)))
HOST_PATH = struct("core.HostPathVolumeSource", ("Path", STRING), ("Type", ptr(named("core.HostPathType"))))
EMPTY_DIR = struct("core.EmptyDirVolumeSource", ("Medium", named("core.StorageMedium")), ("SizeLimit", ptr(QUANTITY)))
SECRET_VOLUME = struct(
    "core.SecretVolumeSource",
    ("SecretName", STRING),
    ("Items", slice_of(KEY_TO_PATH)),
    ("DefaultMode", ptr(INT32)),
    ("Optional", ptr(BOOL)),
)
PVC_VOLUME = struct("core.PersistentVolumeClaimVolumeSource", ("ClaimName", STRING), ("ReadOnly", BOOL))
CONFIG_MAP_VOLUME = struct(
    "core.ConfigMapVolumeSource",
    ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""),
    ("Items", slice_of(KEY_TO_PATH)),
    ("DefaultMode", ptr(INT32)),
    ("Optional", ptr(BOOL)),
)
DOWNWARD_API_FILE = struct(
    "core.DownwardAPIVolumeFile",
    ("Path", STRING),
    ("FieldRef", ptr(OBJECT_FIELD_SELECTOR)),
    ("ResourceFieldRef", ptr(RESOURCE_FIELD_SELECTOR)),
    ("Mode", ptr(INT32)),
)
DOWNWARD_API_VOLUME = struct(
    "core.DownwardAPIVolumeSource", ("Items", slice_of(DOWNWARD_API_FILE)), ("DefaultMode", ptr(INT32))
)
VOLUME_PROJECTION = struct(
    "core.VolumeProjection",
    (
        "Secret",
        ptr(
            struct(
                "core.SecretProjection",
                ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""),
                ("Items", slice_of(KEY_TO_PATH)),
                ("Optional", ptr(BOOL)),
            )
        ),
    ),
    ("DownwardAPI", ptr(struct("core.DownwardAPIProjection", ("Items", slice_of(DOWNWARD_API_FILE)))), "downwardAPI"),
    (
        "ConfigMap",
        ptr(
            struct(
                "core.ConfigMapProjection",
                ("LocalObjectReference", LOCAL_OBJECT_REFERENCE, ""),
                ("Items", slice_of(KEY_TO_PATH)),
                ("Optional", ptr(BOOL)),
            )
        ),
    ),
    (
        "ServiceAccountToken",
        ptr(
            struct(
                "core.ServiceAccountTokenProjection",
                ("Audience", STRING),
                ("ExpirationSeconds", INT64),
                ("Path", STRING),
            )
        ),
    ),
    ("ClusterTrustBundle", ptr(GoType("struct", name="core.ClusterTrustBundleProjection"))),
)
PROJECTED_VOLUME = struct(
    "core.ProjectedVolumeSource", ("Sources", slice_of(VOLUME_PROJECTION)), ("DefaultMode", ptr(INT32))
)
VOLUME_SOURCE_FIELDS = [
    "HostPath",
    "EmptyDir",
    "GCEPersistentDisk",
    "AWSElasticBlockStore",
    "GitRepo",
    "Secret",
    "NFS",
    "ISCSI",
    "Glusterfs",
    "PersistentVolumeClaim",
    "RBD",
    "Quobyte",
    "FlexVolume",
    "Cinder",
    "CephFS",
    "Flocker",
    "DownwardAPI",
    "FC",
    "AzureFile",
    "ConfigMap",
    "VsphereVolume",
    "AzureDisk",
    "PhotonPersistentDisk",
    "Projected",
    "PortworxVolume",
    "ScaleIO",
    "StorageOS",
    "CSI",
    "Ephemeral",
    "Image",
]
_VOLUME_JSON = {
    "GCEPersistentDisk": "gcePersistentDisk",
    "AWSElasticBlockStore": "awsElasticBlockStore",
    "NFS": "nfs",
    "ISCSI": "iscsi",
    "RBD": "rbd",
    "CephFS": "cephfs",
    "DownwardAPI": "downwardAPI",
    "FC": "fc",
    "CSI": "csi",
    "ScaleIO": "scaleIO",
}
_KNOWN_SOURCES = {
    "HostPath": HOST_PATH,
    "EmptyDir": EMPTY_DIR,
    "Secret": SECRET_VOLUME,
    "PersistentVolumeClaim": PVC_VOLUME,
    "ConfigMap": CONFIG_MAP_VOLUME,
    "DownwardAPI": DOWNWARD_API_VOLUME,
    "Projected": PROJECTED_VOLUME,
}
VOLUME_SOURCE = struct(
    "core.VolumeSource",
    *[
        (
            name,
            ptr(_KNOWN_SOURCES.get(name) or GoType("struct", name=f"core.{name}VolumeSource")),
            _VOLUME_JSON.get(name, name[0].lower() + name[1:]),
        )
        for name in VOLUME_SOURCE_FIELDS
    ],
)
VOLUME = struct("core.Volume", ("Name", STRING), ("VolumeSource", VOLUME_SOURCE, ""))
TOLERATION = struct(
    "core.Toleration",
    ("Key", STRING),
    ("Operator", named("core.TolerationOperator")),
    ("Value", STRING),
    ("Effect", named("core.TaintEffect")),
    ("TolerationSeconds", ptr(INT64)),
)
HOST_ALIAS = struct("core.HostAlias", ("IP", STRING, "ip"), ("Hostnames", slice_of(STRING)))
POD_DNS_CONFIG_OPTION = struct("core.PodDNSConfigOption", ("Name", STRING), ("Value", ptr(STRING)))
POD_DNS_CONFIG = struct(
    "core.PodDNSConfig",
    ("Nameservers", slice_of(STRING)),
    ("Searches", slice_of(STRING)),
    ("Options", slice_of(POD_DNS_CONFIG_OPTION)),
)
SYSCTL = struct("core.Sysctl", ("Name", STRING), ("Value", STRING))
POD_SECURITY_CONTEXT = struct(
    "core.PodSecurityContext",
    ("HostNetwork", BOOL),
    ("HostPID", BOOL, "hostPID"),
    ("HostIPC", BOOL, "hostIPC"),
    ("ShareProcessNamespace", ptr(BOOL)),
    ("HostUsers", ptr(BOOL)),
    ("SELinuxOptions", ptr(SE_LINUX_OPTIONS), "seLinuxOptions"),
    ("WindowsOptions", ptr(GoType("struct", name="core.WindowsSecurityContextOptions"))),
    ("RunAsUser", ptr(INT64)),
    ("RunAsGroup", ptr(INT64)),
    ("RunAsNonRoot", ptr(BOOL)),
    ("SupplementalGroups", slice_of(INT64)),
    ("SupplementalGroupsPolicy", ptr(named("core.SupplementalGroupsPolicy"))),
    ("FSGroup", ptr(INT64), "fsGroup"),
    ("FSGroupChangePolicy", ptr(named("core.PodFSGroupChangePolicy")), "fsGroupChangePolicy"),
    ("Sysctls", slice_of(SYSCTL)),
    ("SeccompProfile", ptr(SECCOMP_PROFILE)),
    ("AppArmorProfile", ptr(APP_ARMOR_PROFILE)),
    ("SELinuxChangePolicy", ptr(named("core.PodSELinuxChangePolicy")), "seLinuxChangePolicy"),
)
POD_READINESS_GATE = struct("core.PodReadinessGate", ("ConditionType", named("core.PodConditionType")))
POD_OS = struct("core.PodOS", ("Name", named("core.OSName")))
POD_SCHEDULING_GATE = struct("core.PodSchedulingGate", ("Name", STRING))
POD_RESOURCE_CLAIM = struct(
    "core.PodResourceClaim",
    ("Name", STRING),
    ("ResourceClaimName", ptr(STRING)),
    ("ResourceClaimTemplateName", ptr(STRING)),
)
HOST_NAMESPACE_FIELDS = ("hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "hostUsers")
POD_SPEC = struct(
    "core.PodSpec",
    ("Volumes", slice_of(VOLUME)),
    ("InitContainers", slice_of(CONTAINER)),
    ("Containers", slice_of(CONTAINER)),
    ("EphemeralContainers", slice_of(GoType("struct", name="core.EphemeralContainer"))),
    ("RestartPolicy", named("core.RestartPolicy")),
    ("TerminationGracePeriodSeconds", ptr(INT64)),
    ("ActiveDeadlineSeconds", ptr(INT64)),
    ("DNSPolicy", named("core.DNSPolicy"), "dnsPolicy"),
    ("NodeSelector", GoType("map", key=STRING, elem=STRING)),
    ("ServiceAccountName", STRING),
    ("AutomountServiceAccountToken", ptr(BOOL)),
    ("NodeName", STRING),
    ("SecurityContext", ptr(POD_SECURITY_CONTEXT)),
    ("ImagePullSecrets", slice_of(LOCAL_OBJECT_REFERENCE)),
    ("Hostname", STRING),
    ("Subdomain", STRING),
    ("SetHostnameAsFQDN", ptr(BOOL), "setHostnameAsFQDN"),
    ("Affinity", ptr(GoType("struct", name="core.Affinity"))),
    ("SchedulerName", STRING),
    ("Tolerations", slice_of(TOLERATION)),
    ("HostAliases", slice_of(HOST_ALIAS)),
    ("PriorityClassName", STRING),
    ("Priority", ptr(INT32)),
    ("PreemptionPolicy", ptr(named("core.PreemptionPolicy"))),
    ("DNSConfig", ptr(POD_DNS_CONFIG), "dnsConfig"),
    ("ReadinessGates", slice_of(POD_READINESS_GATE)),
    ("RuntimeClassName", ptr(STRING)),
    ("Overhead", RESOURCE_LIST),
    ("EnableServiceLinks", ptr(BOOL)),
    ("TopologySpreadConstraints", slice_of(GoType("struct", name="core.TopologySpreadConstraint"))),
    ("OS", ptr(POD_OS), "os"),
    ("SchedulingGates", slice_of(POD_SCHEDULING_GATE)),
    ("ResourceClaims", slice_of(POD_RESOURCE_CLAIM)),
    ("Resources", ptr(RESOURCE_REQUIREMENTS)),
)


# -- JSON -> Go values ------------------------------------------------------------------------
def go_value(t: GoType, value: object) -> object:
    """A JSON value as a value of `t` (a struct as a dict of its Go field names)."""
    if t.kind == "ptr":
        return None if value is None else go_value(t.item, value)
    if t.equal is not None:  # resource.Quantity
        return quantity(value)
    if t.kind == "struct":
        if not isinstance(value, dict):
            return {}
        out: dict = {}
        for go_name, ftype in t.fields:
            json_name = t.json.get(go_name, go_name)
            if json_name == "":
                out[go_name] = go_value(ftype, value)
            elif json_name in value:
                out[go_name] = go_value(ftype, value[json_name])
        return out
    if t.kind == "slice":
        return [go_value(t.item, item) for item in value] if isinstance(value, list) else None
    if t.kind == "map":
        return {str(k): go_value(t.item, v) for k, v in value.items()} if isinstance(value, dict) else None
    if t.kind == "bool":
        return bool(value)
    if t.kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else 0
    return value if isinstance(value, str) else str(value)


def _declare(t: GoType, values: Sequence[object], seen: set[int]) -> None:
    """Give each struct kubeclass does not declare (no fields) the fields the compared values have, in the
    order met, and walk on into everything the values hold."""
    if t.kind == "ptr" or t.kind == "slice":
        items: list[object] = []
        for v in values:
            items += v if t.kind == "slice" and isinstance(v, list) else ([v] if t.kind == "ptr" else [])
        _declare(t.item, items, seen)
        return
    if t.kind == "map":
        _declare(t.item, [x for v in values if isinstance(v, dict) for x in v.values()], seen)
        return
    if t.kind != "struct" or t.equal is not None:
        return
    dicts = [v for v in values if isinstance(v, dict)]
    if getattr(t, "open", False) or (not t.fields and id(t) not in seen):
        t.open = True  # type: ignore[attr-defined]
        for d in dicts:
            for key, sample in d.items():
                if key not in t.json.values():
                    go_name = key[:1].upper() + key[1:]
                    t.fields.append((go_name, _infer(f"{t.name}{go_name}", sample)))
                    t.json[go_name] = key
    seen.add(id(t))
    for go_name, ftype in t.fields:
        json_name = t.json.get(go_name, go_name)
        _declare(ftype, dicts if json_name == "" else [d.get(json_name) for d in dicts], seen)


def _infer(name: str, sample: object, element: bool = False) -> GoType:
    """A field's type from a value: optional numbers, booleans and objects are pointers (`&420`, `&{...}`), a
    list's elements are values."""
    if isinstance(sample, bool):
        return BOOL if element else ptr(BOOL)
    if isinstance(sample, int):
        return INT64 if element else ptr(INT64)
    if isinstance(sample, list):
        return slice_of(_infer(name, sample[0], element=True) if sample else STRING)
    if isinstance(sample, dict):
        struct_type = GoType("struct", name=name)
        return struct_type if element else ptr(struct_type)
    return STRING


def internal_pod_spec(spec: dict) -> dict:
    """Convert_v1_PodSpec_To_core_PodSpec on JSON: the host namespace fields move into an always present
    securityContext and the deprecated serviceAccount goes."""
    spec = dict(spec or {})
    security = dict(spec.get("securityContext") or {})
    for key in HOST_NAMESPACE_FIELDS:
        if key in spec:
            security[key] = spec.pop(key)
    spec["securityContext"] = security
    spec.pop("serviceAccount", None)
    return spec


def pod_spec_values(old: dict, new: dict) -> tuple[GoType, object, object]:
    """core.PodSpec for this comparison (a private copy of the types, its undeclared structs given the fields
    either spec has) and both specs as its values; the specs are already internal (internal_pod_spec)."""
    t = copy.deepcopy(POD_SPEC)
    _declare(t, [old, new], set())
    return t, go_value(t, old), go_value(t, new)
