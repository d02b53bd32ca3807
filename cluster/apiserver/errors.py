"""kube-apiserver's errors, as metav1.Status objects (k8s.io/apimachinery/pkg/api/errors).

The messages are upstream's word for word, because students will meet them again.
"""

from __future__ import annotations

OPTIMISTIC_LOCK_ERROR_MSG = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
# errors.NewGenericServerResponse's reason and message per code (the server's own text is dropped).
GENERIC_RESPONSES = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
}


class StatusError(Exception):
    """An error the API server answers with a metav1 Status and an HTTP status code.

    `details` None leaves `details` out of the Status; an empty dict sends `"details":{}`, as
    errors.NewGenericServerResponse does (its StatusDetails pointer is never nil). `list_meta`
    is the Status's own ListMeta (a 410 on a continued list carries a fresh continue token)."""

    list_meta: dict | None = None

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        """The metav1.Status, its fields in the Go struct's order (kind, apiVersion, metadata, status,
        message, reason, details, code) and empty ones omitted, as the JSON serializer writes it."""
        body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": dict(self.list_meta or {}), "status": "Failure"}
        if self.message:
            body["message"] = self.message
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = status_details(self.details)
        if self.code:
            body["code"] = self.code
        return body

    # -- constructors named after apimachinery's errors.NewXxx -------------
    @classmethod
    def not_found(cls, group_resource: str, name: str) -> StatusError:
        plural, _, group = group_resource.partition(".")
        details = {"name": name, "kind": plural}
        if group:
            details["group"] = group
        return cls(404, "NotFound", f'{group_resource} "{name}" not found', details)

    @classmethod
    def not_found_resource(cls, group: str, version: str, plural: str) -> StatusError:
        """A path no route serves (go-restful's 404 through NewGenericServerResponse: empty details)."""
        return cls(404, "NotFound", "the server could not find the requested resource", {})

    @classmethod
    def already_exists(cls, group_resource: str, name: str) -> StatusError:
        plural, _, group = group_resource.partition(".")
        details = {"name": name, "kind": plural}
        if group:
            details["group"] = group
        return cls(409, "AlreadyExists", f'{group_resource} "{name}" already exists', details)

    @classmethod
    def conflict(cls, group_resource: str, name: str, reason: str = OPTIMISTIC_LOCK_ERROR_MSG) -> StatusError:
        """errors.NewConflict: `Operation cannot be fulfilled on pods "web": <why>`."""
        plural, _, group = group_resource.partition(".")
        details = {"name": name, "kind": plural}
        if group:
            details["group"] = group
        return cls(409, "Conflict", f'Operation cannot be fulfilled on {group_resource} "{name}": {reason}', details)

    @classmethod
    def generic(cls, code: int) -> StatusError:
        """errors.NewGenericServerResponse without a resource, as go-restful's errors and the patch
        machinery's 422s reach the client: the code's stock message and empty details."""
        reason, message = GENERIC_RESPONSES[code]
        return cls(code, reason, message, {})

    @classmethod
    def internal(cls, cause: str) -> StatusError:
        """errors.NewInternalError: the cause repeated in details.causes."""
        return cls(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})

    @classmethod
    def unknown(cls, code: int, message: str) -> StatusError:
        """What ErrorToAPIStatus makes of an error that is not a Status (a storage error passed on as it is):
        the code, the error's text and no reason."""
        return cls(code, "", message)

    @classmethod
    def invalid(cls, kind: str, group: str, name: str, causes: list[dict]) -> StatusError:
        """`Deployment.apps "web" is invalid: [field: Reason: detail, ...]` (errors.NewInvalid)."""
        qualified = f"{kind}.{group}" if group else kind
        texts = list(dict.fromkeys(_cause_text(c) for c in causes))  # ToAggregate drops repeats
        joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        details = {"name": name, "kind": kind, "causes": public_causes(causes)}
        if group:
            details["group"] = group
        return cls(422, "Invalid", f'{qualified} "{name}" is invalid: {joined}', details)

    @classmethod
    def bad_request(cls, message: str) -> StatusError:
        return cls(400, "BadRequest", message)

    @classmethod
    def gone(cls, message: str) -> StatusError:
        return cls(410, "Expired", message)

    @classmethod
    def method_not_supported(cls, group_resource: str, action: str) -> StatusError:
        """errors.NewMethodNotSupported: details name the resource (and its group)."""
        plural, _, group = group_resource.partition(".")
        return cls(
            405,
            "MethodNotAllowed",
            f'{action} is not supported on resources of kind "{group_resource}"',
            {"group": group, "kind": plural},
        )

    @classmethod
    def method_not_allowed(cls) -> StatusError:
        """A method no route of the path serves (go-restful's 405 through NewGenericServerResponse)."""
        return cls(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

    @classmethod
    def unauthorized(cls) -> StatusError:
        return cls(401, "Unauthorized", "Unauthorized")

    @classmethod
    def forbidden(cls, message: str) -> StatusError:
        return cls(403, "Forbidden", message)

    @classmethod
    def forbidden_object(cls, resource: str, group: str, name: str, reason: str) -> StatusError:
        """errors.NewForbidden: `<resource>.<group> "<name>" is forbidden: <reason>`, details naming the object."""
        qualified = f"{resource}.{group}" if group else resource
        details = {"name": name, "group": group, "kind": resource} if group else {"name": name, "kind": resource}
        return cls(403, "Forbidden", f'{qualified} "{name}" is forbidden: {reason}', details)

    @classmethod
    def no_kind_match(cls, kind: str, api_version: str, hint: str) -> StatusError:
        return cls(404, "NotFound", f'no matches for kind "{kind}" in version "{api_version}" ({hint})')

    @classmethod
    def too_large(cls) -> StatusError:
        return cls(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")


def field_error(kind: str, field: str, detail: str = "", value: object = None, show_value: bool = True) -> dict:
    """One field.Error as a StatusCause (k8s.io/apimachinery/pkg/util/validation/field)."""
    reason = {
        "required": "FieldValueRequired",
        "invalid": "FieldValueInvalid",
        "notsupported": "FieldValueNotSupported",
        "forbidden": "FieldValueForbidden",
        "duplicate": "FieldValueDuplicate",
        "toolong": "FieldValueTooLong",
        "notfound": "FieldValueNotFound",
        "unknown": "FieldValueInvalid",
    }[kind]
    cause: dict[str, object] = {"reason": reason, "field": field, "_type": kind, "_detail": detail}
    if show_value:
        cause["_value"] = value
    cause["message"] = _error_body(kind, detail, value, show_value)
    return cause


_TYPE_WORDS = {
    "required": "Required value",
    "invalid": "Invalid value",
    "notsupported": "Unsupported value",
    "forbidden": "Forbidden",
    "duplicate": "Duplicate value",
    "toolong": "Too long",
    "notfound": "Not found",
}


class GoValue:
    """A bad value already printed as Go's `%#v` prints it (structs, slices), for field errors."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def go_quote(text: str) -> str:
    """Go's strconv.Quote (the `%q` verb): printable runes as they are, the rest escaped."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_NAMED_ESCAPES:
            out.append(_GO_NAMED_ESCAPES[ch])
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_NAMED_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _go_value(value: object) -> str:
    if isinstance(value, GoValue):
        return value.text
    if isinstance(value, str):
        return go_quote(value)
    if value is None:  # ErrorBody turns a nil value or pointer into the string "null", then quotes it
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # Go's %#v of a map[string]string, keys sorted as fmt sorts them
        if not value:
            return "map[string]string(nil)"
        pairs = ", ".join(f"{_go_value(k)}:{_go_value(v)}" for k, v in sorted(value.items()))
        return "map[string]string{" + pairs + "}"
    if isinstance(value, list):  # Go's %#v of a []string
        return "[]string{" + ", ".join(_go_value(v) for v in value) + "}" if value else "[]string(nil)"
    return str(value)


def _error_body(kind: str, detail: str, value: object, show_value: bool) -> str:
    words = _TYPE_WORDS[kind]
    if kind in ("required", "forbidden", "toolong"):
        return f"{words}: {detail}" if detail else words
    body = f"{words}: {_go_value(value)}" if show_value else words
    return f"{body}: {detail}" if detail else body


def _cause_text(cause: dict) -> str:
    return f"{cause['field']}: {cause['message']}"


def public_causes(causes: list[dict]) -> list[dict]:
    """The StatusCause fields kube-apiserver sends (without our private helpers), in the Go struct's
    order: reason (its Type), message, field, each omitted when empty."""
    return [{k: c[k] for k in ("reason", "message", "field") if c.get(k)} for c in causes]


_DETAIL_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")


def status_details(details: dict) -> dict:
    """metav1.StatusDetails in the Go struct's order (name, group, kind, uid, causes, retryAfterSeconds),
    empty fields omitted as `omitempty` drops them."""
    ordered = {k: details[k] for k in _DETAIL_ORDER if details.get(k)}
    if "causes" in ordered:
        ordered["causes"] = public_causes(ordered["causes"])
    return ordered
