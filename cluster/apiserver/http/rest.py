"""The REST verbs on one resource URL, as kube-apiserver's generic handlers serve them.

get, list, watch, create, update, patch, delete and deletecollection, plus the
status, scale and binding subresources, each translated into one call of
`APIServer` (which makes it one transaction). Response codes follow upstream:
201 for create, 202 for a delete that has only begun (graceful deletion,
finalizers), a Table when kubectl asks for one.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from cluster.apiserver import fieldvalidation, paging
from cluster.apiserver import patch as patching
from cluster.apiserver import printers
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import codec, options, podlog, watch
from cluster.apiserver.http.request_info import RequestInfo
from cluster.apiserver.field_selectors import parse_field_selector
from cluster.apiserver.selectors import parse_label_selector
from cluster.apiserver.server import APIServer

PATCH_TYPES = (patching.JSON_PATCH, patching.MERGE_PATCH, patching.STRATEGIC_MERGE_PATCH, patching.APPLY_PATCH)
# Registries whose delete answers with the object instead of a Status (ReturnDeletedObject upstream).
RETURNS_DELETED_OBJECT = {"Pod", "Service", "Namespace"}


def client_name(request: HttpRequest) -> str:
    """Who is calling, for the step events: `kubectl`, or the client library's name."""
    agent = request.headers.get("User-Agent", "")
    name = agent.split("/")[0].strip()
    return name or "client"


def field_manager(request: HttpRequest) -> str:
    """The write's field manager: the `fieldManager` query parameter, else the User-Agent's first word
    (managerOrUserAgent), so a client that names none still owns what it writes."""
    from cluster.apiserver.managedfields import manager_from_user_agent

    return request.GET.get("fieldManager") or manager_from_user_agent(request.headers.get("User-Agent", ""))


def handle(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponseBase:
    handlers = {
        "get": _get,
        "list": _list,
        "watch": _watch,
        "create": _create,
        "update": _update,
        "patch": _patch,
        "delete": _delete,
        "deletecollection": _delete_collection,
    }
    return handlers[info.verb](request, api, info)


def _table_or(
    request: HttpRequest, api: APIServer, info: RequestInfo, items: list[dict], rv: str, otherwise: dict
) -> HttpResponse:
    if info.subresource or not codec.wants_table(request):
        return codec.json_response(otherwise)
    return codec.json_response(printers.table(info.rt, items, api.now(), rv, options.include_object(request)))


def _get(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponseBase:
    if info.subresource == "scale":
        return codec.json_response(api.get_scale(info.rt, info.namespace, info.name))
    if info.subresource == "log" and info.rt.plural == "pods":
        return podlog.serve(request, api, info)
    if info.subresource not in ("", "status", "ephemeralcontainers"):
        raise StatusError.method_not_supported(f"{info.rt.plural}/{info.subresource}", "get")
    obj = api.get(info.rt, info.namespace, info.name)
    return _table_or(request, api, info, [obj], obj["metadata"].get("resourceVersion", ""), obj)


def _list(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    opts = options.list_options(request)
    listed = api.list(
        info.rt,
        info.namespace,
        opts.label_selector,
        opts.field_selector,
        limit=opts.limit,
        continue_token=opts.continue_token,
        resource_version=opts.resource_version,
        resource_version_match=opts.resource_version_match,
    )
    if info.subresource or not codec.wants_table(request):
        return codec.json_response(listed)
    table = printers.table(
        info.rt, listed["items"], api.now(), listed["metadata"]["resourceVersion"], options.include_object(request)
    )
    table["metadata"] = listed["metadata"]  # a page's continue token and remainingItemCount, as the list's
    return codec.json_response(table)


def _watch(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponseBase:
    opts = options.list_options(request, watch=True)  # DecodeParameters' 400s come first, as upstream
    paging.parse_resource_version(opts.resource_version)  # the watch cache's answer to a malformed one
    labels, fields = options.selectors(request)
    if info.name:  # a watch on one object is a watch on its name, as upstream rewrites it
        fields = ",".join(f for f in (fields, f"metadata.name={info.name}") if f)
    parse_label_selector(labels), parse_field_selector(fields, info.rt)  # a 400, not an ERROR event
    req = watch.from_request(
        request,
        api,
        info.rt,
        info.namespace,
        labels,
        fields,
        table=codec.wants_table(request),
        include_object=options.include_object(request),
    )
    return watch.response(req)


def _body_findings(request: HttpRequest, directive: str) -> fieldvalidation.BodyFindings:
    """Repeated keys in the raw body, which only the strict decoder (Strict and Warn) looks for."""
    media_type = codec.content_type(request)
    if directive == fieldvalidation.IGNORE or media_type == codec.PROTOBUF:
        return fieldvalidation.NOTHING
    return fieldvalidation.find_in_body(codec.raw_body(request), media_type)


def _create(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    if info.subresource == "binding":
        body = codec.decode_body(request)
        if not isinstance(body, dict):
            raise StatusError.bad_request("the body of the request must be a Binding object")
        return codec.json_response(api.bind(info.namespace or "default", info.name, body), status=201)
    if info.subresource == "token" and info.rt.plural == "serviceaccounts":
        from cluster.apiserver.tokenrequest import create_token

        return codec.json_response(
            create_token(api, info.namespace or "default", info.name, codec.decode_body(request)), status=201
        )
    if info.subresource == "eviction" and info.rt.plural == "pods":
        from cluster.apiserver.eviction import evict

        dry_run = bool(request.GET.getlist("dryRun"))
        return codec.json_response(
            evict(api, info.namespace or "default", info.name, codec.decode_body(request), dry_run=dry_run), status=201
        )
    if info.name or info.subresource:
        raise StatusError.method_not_allowed()
    opts = options.write_options(request, "CreateOptions")
    body = codec.decode_body(request, into_kind=info.rt.kind)
    created = api.create(
        info.rt,
        info.namespace,
        body,
        dry_run=opts.dry_run,
        field_validation=opts.field_validation,
        findings=_body_findings(request, opts.field_validation),
        field_manager=field_manager(request),
    )
    return codec.json_response(created, status=201)


def _update(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    if not info.name:  # no PUT route on a collection: go-restful's 405
        raise StatusError.method_not_allowed()
    opts = options.write_options(request, "UpdateOptions")  # UpdateResource checks them before the body
    body = codec.decode_body(request, into_kind="Scale" if info.subresource == "scale" else info.rt.kind)
    if info.subresource == "scale":
        if not isinstance(body, dict):
            raise StatusError.bad_request("the body of the request must be a Scale object")
        return codec.json_response(
            api.update_scale(info.rt, info.namespace, info.name, body, field_manager=field_manager(request))
        )
    if info.subresource not in ("", "status", "finalize", "ephemeralcontainers"):
        raise StatusError.method_not_supported(f"{info.rt.plural}/{info.subresource}", "update")
    updated = api.update(
        info.rt,
        info.namespace,
        info.name,
        body,
        subresource=info.subresource,
        dry_run=opts.dry_run,
        field_validation=opts.field_validation,
        findings=_body_findings(request, opts.field_validation),
        field_manager=field_manager(request),
    )
    return codec.json_response(updated)


def _patch(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    if not info.name:  # no PATCH route on a collection: go-restful's 405
        raise StatusError.method_not_allowed()
    patch_type = codec.content_type(request)
    if patch_type not in PATCH_TYPES:
        raise StatusError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}",
        )
    if patch_type == patching.APPLY_PATCH:  # PatchOptions are validated before the body is read
        opts = options.write_options(request, "PatchOptions", patch_type)
        if info.subresource not in ("", "status"):
            raise StatusError.method_not_supported(f"{info.rt.plural}/{info.subresource}", "patch")
        body = codec.decode_body(request, apply=True)
        force = (request.GET.get("force") or "").lower() not in ("", "0", "false")
        applied, created = api.apply(
            info.rt,
            info.namespace,
            info.name,
            body,
            subresource=info.subresource,
            dry_run=opts.dry_run,
            field_validation=opts.field_validation,
            manager=request.GET.get("fieldManager", ""),
            force=force,
        )
        return codec.json_response(applied, status=201 if created else 200)
    body = codec.decode_body(request)
    if info.subresource == "scale":
        scale = api.get_scale(info.rt, info.namespace, info.name)
        patched = patching.apply_patch(info.rt, scale, body, patch_type)
        return codec.json_response(
            api.update_scale(info.rt, info.namespace, info.name, patched, field_manager=field_manager(request))
        )
    if info.subresource not in ("", "status", "ephemeralcontainers"):
        raise StatusError.method_not_supported(f"{info.rt.plural}/{info.subresource}", "patch")
    opts = options.write_options(request, "PatchOptions", patch_type)
    findings = None
    if opts.field_validation != fieldvalidation.IGNORE:  # kjson.UnmarshalStrict of the patch document
        raw = fieldvalidation.find_in_body(codec.raw_body(request), "json")
        if patch_type == patching.JSON_PATCH:
            findings = fieldvalidation.json_patch_findings(body)
            findings.errors = fieldvalidation.duplicate_errors(raw, "json patch ") + findings.errors
        else:
            findings = fieldvalidation.PatchFindings(fieldvalidation.duplicate_errors(raw))
    patched = api.patch(
        info.rt,
        info.namespace,
        info.name,
        body,
        patch_type,
        subresource=info.subresource,
        dry_run=opts.dry_run,
        field_validation=opts.field_validation,
        findings=findings,
        field_manager=field_manager(request),
    )
    return codec.json_response(patched)


def _deleted(info: RequestInfo, obj: dict) -> HttpResponse:
    meta = obj.get("metadata", {})
    if meta.get("deletionTimestamp"):
        return codec.json_response(obj, status=202)  # graceful deletion or finalizers: not gone yet
    if info.rt.kind in RETURNS_DELETED_OBJECT:
        return codec.json_response(obj)
    details = {"name": meta.get("name", info.name), "kind": info.rt.plural, "uid": meta.get("uid", "")}
    if info.rt.group:
        details["group"] = info.rt.group
    return codec.json_response(codec.success_status(details))


def _delete(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    if info.subresource:
        raise StatusError.method_not_supported(f"{info.rt.plural}/{info.subresource}", "delete")
    opts = options.delete_options(codec.decode_body(request, allow_empty=True), request)
    obj = api.delete(
        info.rt,
        info.namespace,
        info.name,
        opts.grace_period_seconds,
        opts.propagation_policy,
        opts.preconditions,
        opts.dry_run,
    )
    return _deleted(info, obj)


def _delete_collection(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponse:
    if "deletecollection" not in info.rt.verbs:
        raise StatusError.method_not_supported(info.rt.group_resource, "deletecollection")
    opts = options.delete_options(codec.decode_body(request, allow_empty=True), request)
    labels, fields = options.selectors(request)
    listed = api.list(info.rt, info.namespace, labels, fields)
    deleted = []
    for item in listed["items"]:
        meta = item["metadata"]
        try:
            deleted.append(
                api.delete(
                    info.rt,
                    meta.get("namespace"),
                    meta["name"],
                    opts.grace_period_seconds,
                    opts.propagation_policy,
                    {},
                    opts.dry_run,
                )
            )
        except StatusError as err:
            if err.code != 404:  # already gone: someone else deleted it meanwhile
                raise
    return codec.json_response(
        {
            "kind": listed["kind"],
            "apiVersion": listed["apiVersion"],
            "metadata": {"resourceVersion": str(api.current_revision())},
            "items": deleted,
        }
    )
