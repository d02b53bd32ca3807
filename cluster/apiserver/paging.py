"""List chunking and list resourceVersion semantics, as kube-apiserver's storage layer has them.

Mirrors k8s.io/apiserver/pkg/storage: `continue` tokens (storage/continue.go
EncodeContinue/DecodeContinue: base64url of `{"v":"meta.k8s.io/v1","rv":R,"start":"<key>\\u0000"}`),
the list option checks of storage.ValidateListOptions and the etcd3 store's
GetList (a page reads at the token's revision; `remainingItemCount` only when
no selector filters the list), the cacher's "Too large resource version" and
the versioner's resourceVersion parsing (api_object_versioner.go).

kubectl's `--chunk-size` and the client libraries' `limit`/`_continue` page
through a list with these.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cluster.apiserver.errors import StatusError

API_VERSION = "meta.k8s.io/v1"
EXACT, NOT_OLDER_THAN = "Exact", "NotOlderThan"
GENERIC_INVALID = "continue key is not valid"
INVALID_START_RV = "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
EMPTY_START_KEY = "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"
UNRECOGNIZED_VERSION = "continue key is not valid: server does not recognize this encoded version"
EXPIRED = "The resourceVersion for the provided list is too old."
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an inconsistent list - objects that were "
    "created, modified, or deleted between the time the first chunk was returned and now may show up in the "
    "list."
)
RESOURCE_VERSION_TOO_HIGH_RETRY_SECONDS = 1


def encode_continue(key: str, key_prefix: str, revision: int) -> str:
    """storage.EncodeContinue: where the next page starts (`key` is the last key returned plus a NUL)."""
    token = {"v": API_VERSION, "rv": revision, "start": key[len(key_prefix) :]}
    data = json.dumps(token, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):  # Go's json.Marshal
        data = data.replace(raw, escaped)
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


def _go_base64_error(text: str) -> str | None:
    """Where base64.RawURLEncoding.DecodeString stops, as Go words it, or None."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for index, char in enumerate(text):
        if char not in alphabet:
            return f"illegal base64 data at input byte {index}"
    if len(text) % 4 == 1:
        return f"illegal base64 data at input byte {len(text) - 1}"
    return None


def decode_continue(token: str, key_prefix: str) -> tuple[str, int]:
    """storage.DecodeContinue: (the first key of the page, its revision; -1 for the newest), or the 400
    BadRequest `invalid continue token: ...` storage.ValidateListOptions answers."""

    def bad(reason: str) -> StatusError:
        return StatusError.bad_request(f"invalid continue token: {reason}")

    problem = _go_base64_error(token)
    if problem:
        raise bad(f"{GENERIC_INVALID}: {problem}")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as err:
        raise bad(f"{GENERIC_INVALID}: {err}") from None
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise bad(f"{GENERIC_INVALID}: invalid character looking for beginning of value") from None
    if not isinstance(decoded, dict):
        raise bad(
            f"{GENERIC_INVALID}: json: cannot unmarshal {_json_word(decoded)} into Go value of type "
            "storage.continueToken"
        )
    version, revision, start = decoded.get("v", ""), decoded.get("rv", 0), decoded.get("start", "")
    if (
        not isinstance(version, str)
        or not isinstance(start, str)
        or not isinstance(revision, int)
        or isinstance(revision, bool)
    ):
        raise bad(f"{GENERIC_INVALID}: json: cannot unmarshal a value into Go struct field of storage.continueToken")
    if version != API_VERSION:
        raise bad(f"{UNRECOGNIZED_VERSION} {version}")
    if revision == 0:
        raise bad(INVALID_START_RV)
    if not start:
        raise bad(EMPTY_START_KEY)
    key = start if start.startswith("/") else "/" + start
    if not _is_clean(key):  # no climbing out of the list's prefix
        raise bad(f"{GENERIC_INVALID}: {start}")
    return key_prefix + key[1:], revision


def _is_clean(key: str) -> bool:
    """path.Clean(key) == key for an absolute key: no empty, `.` or `..` element, no trailing slash."""
    return not any(part in ("", ".", "..") for part in key.split("/")[1:])


def _json_word(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def parse_resource_version(text: str) -> int:
    """APIObjectVersioner.ParseResourceVersion; "" and "0" are 0.

    A bad one is what the watch cache answers for it upstream: the versioner's
    field error, not a Status, so kube-apiserver reports a 500 with no reason."""
    if text in ("", "0"):
        return 0
    if not text.isascii() or not text.isdigit():
        raise StatusError(
            500, "", f'resourceVersion: Invalid value: "{text}": strconv.ParseUint: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if value >= 2**64:
        raise StatusError(
            500,
            "",
            f'resourceVersion: Invalid value: "{text}": strconv.ParseUint: parsing "{text}": value out of range',
        )
    return value


def too_large(requested: int, current: int, retry: int = RESOURCE_VERSION_TOO_HIGH_RETRY_SECONDS) -> StatusError:
    """storage.NewTooLargeResourceVersionError: the cacher gave up waiting for a future revision (retry in
    1 s), or etcd answered an older one than a NotOlderThan read asked for (no retry hint)."""
    return StatusError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": retry,
        },
    )


@dataclass(frozen=True)
class Page:
    """Which revision a list reads, where it starts, and who serves it."""

    revision: int | None  # None: the newest
    start_key: str  # "" from the beginning
    limit: int  # 0 or negative: every item
    paging: bool  # the request carried a continue token
    from_cache: bool  # the watch cache serves it (cacher.GetList), else etcd (etcd3 store.GetList)


def delegated(resource_version: str, match: str, limit: int, continue_token: str) -> bool:
    """cacher.shouldDelegateList: continuations, exact reads and the legacy exact read (a limit with a
    resourceVersion) go to etcd; everything else is served from the watch cache (ConsistentListFromCache,
    on in 1.32, serves even resourceVersion="" there)."""
    legacy_exact = limit > 0 and match == "" and resource_version not in ("", "0")
    unsupported_match = (match not in ("", NOT_OLDER_THAN)) or legacy_exact
    return bool(continue_token) or unsupported_match


def plan(key_prefix: str, current: int, resource_version: str, match: str, limit: int, continue_token: str) -> Page:
    """What a list request reads, checked as the cacher and the etcd3 store check it (resolveGetListRev)."""
    if not delegated(resource_version, match, limit, continue_token):
        requested = parse_resource_version(resource_version)  # the cacher's 500 for a malformed one
        if requested > current:
            raise too_large(requested, current)  # waitUntilFreshAndBlock gave up (retry in 1 s)
        return Page(None, "", 0 if resource_version == "0" else limit, False, True)  # computeListLimit
    if continue_token:
        start, revision = decode_continue(continue_token, key_prefix)
        if resource_version not in ("", "0"):
            raise StatusError.bad_request("specifying resource version is not allowed when using continue")
        return Page(revision if revision > 0 else None, start, limit, True, False)
    try:
        requested = parse_resource_version(resource_version)
    except StatusError as err:
        raise StatusError.bad_request(f"invalid resource version: {err.message}") from None
    if match == EXACT or (match == "" and limit > 0 and requested > 0):
        if requested > current:  # etcd's ErrFutureRev, which interpretListError passes on as it is
            raise StatusError(500, "", "etcdserver: mvcc: required revision is a future revision")
        return Page(requested, "", limit, False, False)
    if requested > current:  # validateMinimumResourceVersion (NotOlderThan read from etcd)
        raise too_large(requested, current, retry=0)
    return Page(None, "", limit, False, False)


def cache_continue(last_key: str, key_prefix: str, revision: int) -> str:
    """The token of a page the watch cache served: it names the key after the last *selected* object,
    relative to the registry's key without its trailing slash (`/web-1\\u0000`); DecodeContinue reads both
    forms."""
    return encode_continue("/" + last_key[len(key_prefix) :] + "\x00", "", revision)


def compacted(paging: bool, start_key: str, key_prefix: str) -> StatusError:
    """The 410 Expired of a list at a compacted revision (etcd3 interpretListError); a continued list gets
    a token to go on from the newest revision, in the Status's metadata."""
    if not paging:
        return StatusError(410, "Expired", EXPIRED)
    err = StatusError(410, "Expired", INCONSISTENT_CONTINUE)
    err.list_meta = {"continue": encode_continue(start_key, key_prefix, -1)}
    return err
