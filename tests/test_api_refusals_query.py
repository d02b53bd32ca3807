"""What kube-apiserver refuses in a request's query, and how it words it: malformed label and field selectors,
list options upstream's validation refuses. The rows share tests/api_refusals_common.py's `Bad`."""

from __future__ import annotations

import base64

import pytest

from tests import api_refusals_common
from tests.api_refusals_common import PODS, CONFIGMAPS, EVENTS, NODES, Bad, starts, inv, assert_refused

world = api_refusals_common.world  # the fixture

TOKEN_V1 = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v2","rv":5,"start":"a"}').decode().rstrip("=")
TOKEN_NO_RV = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","start":"a"}').decode().rstrip("=")
TOKEN_NO_START = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5}').decode().rstrip("=")
TOKEN_CLIMBS = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"../secrets/x"}').decode().rstrip("=")
TOKEN_GOOD = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"a"}').decode().rstrip("=")

QUERY_TABLE: list[Bad] = [
    # -- label selectors (labels.Parse) ----------------------------------------------------------------
    Bad(
        "label-in-without-parens",
        "GET",
        PODS + "?labelSelector=env+in+prod",
        400,
        "BadRequest",
        "unable to parse requirement: found 'prod' expected: '('",
    ),
    Bad(
        "label-trailing-comma",
        "GET",
        PODS + "?labelSelector=app%3Dweb%2C",
        400,
        "BadRequest",
        "found '', expected: identifier after ','",
    ),
    Bad(
        "label-double-comma",
        "GET",
        PODS + "?labelSelector=a%2C%2Cb",
        400,
        "BadRequest",
        "found ',', expected: identifier after ','",
    ),
    Bad(
        "label-triple-equals",
        "GET",
        PODS + "?labelSelector=a%3D%3D%3Db",
        400,
        "BadRequest",
        "unable to parse requirement: found '=', expected: identifier",
    ),
    Bad(
        "label-unclosed-set",
        "GET",
        PODS + "?labelSelector=env+in+(a%2Cb",
        400,
        "BadRequest",
        "unable to parse requirement: found '', expected: ',' or ')'",
    ),
    Bad(
        "label-bad-key",
        "GET",
        PODS + "?labelSelector=-x%3Dy",
        400,
        "BadRequest",
        'unable to parse requirement: <nil>: Invalid value: "-x": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
        "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ),
    Bad(
        "label-bad-value",
        "GET",
        PODS + "?labelSelector=a%3D-b",
        400,
        "BadRequest",
        starts(
            'unable to parse requirement: values[0][a]: Invalid value: "-b": a valid label must be an empty '
            "string or consist of alphanumeric characters"
        ),
    ),
    Bad(
        "label-operator-only",
        "GET",
        PODS + "?labelSelector=%3Dx",
        400,
        "BadRequest",
        "found '=', expected: !, identifier, or 'end of string'",
    ),
    Bad(
        "label-gt-not-integer",
        "GET",
        PODS + "?labelSelector=a%3Ex",
        400,
        "BadRequest",
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must "
        "be an integer",
    ),
    Bad(
        "label-bang-then-operator",
        "GET",
        PODS + "?labelSelector=!a%3Db",
        400,
        "BadRequest",
        "found '=', expected: ',' or 'end of string'",
    ),
    Bad(
        "label-unknown-symbol",
        "GET",
        PODS + "?labelSelector=a%3C%3Eb",
        400,
        "BadRequest",
        "unable to parse requirement: found '>', expected: identifier",
    ),
    Bad(
        "label-not-an-operator",
        "GET",
        PODS + "?labelSelector=a+(b)",
        400,
        "BadRequest",
        "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt",
    ),
    Bad(
        "label-key-too-long",
        "GET",
        PODS + "?labelSelector=" + "a" * 64,
        400,
        "BadRequest",
        starts(
            'unable to parse requirement: <nil>: Invalid value: "' + "a" * 64 + '": name part must be no more '
            "than 63 characters"
        ),
    ),
    Bad(
        "label-in-watch",
        "GET",
        PODS + "?watch=1&labelSelector=a+in+b",
        400,
        "BadRequest",
        "unable to parse requirement: found 'b' expected: '('",
    ),
    # -- field selectors (fields.ParseSelector and the kind's field label conversion) -----------------
    Bad(
        "field-no-operator",
        "GET",
        PODS + "?fieldSelector=status.phase",
        400,
        "BadRequest",
        "invalid selector: 'status.phase'; can't understand 'status.phase'",
    ),
    Bad(
        "field-unknown-label-pod",
        "GET",
        PODS + "?fieldSelector=spec.foo%3Db",
        400,
        "BadRequest",
        "field label not supported: spec.foo",
    ),
    Bad(
        "field-unknown-label-configmap",
        "GET",
        CONFIGMAPS + "?fieldSelector=data.k%3Dv",
        400,
        "BadRequest",
        '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ),
    Bad(
        "field-unknown-label-event",
        "GET",
        EVENTS + "?fieldSelector=involvedObject.foo%3Dx",
        400,
        "BadRequest",
        "field label not supported: involvedObject.foo",
    ),
    Bad(
        "field-unknown-label-node",
        "GET",
        NODES + "?fieldSelector=status.phase%3DReady",
        400,
        "BadRequest",
        "field label not supported: status.phase",
    ),
    Bad(
        "field-bad-escape",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%5Cb",
        400,
        "BadRequest",
        "invalid field selector: invalid escape sequence: \\b",
    ),
    Bad(
        "field-unescaped-equals",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%3Db",
        400,
        "BadRequest",
        "invalid field selector: unescaped character in value: 61",
    ),
    Bad(
        "field-second-term-bad",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%2Cstatus",
        400,
        "BadRequest",
        "invalid selector: 'metadata.name=a,status'; can't understand 'status'",
    ),
    Bad(
        "field-unknown-in-watch",
        "GET",
        PODS + "?watch=true&fieldSelector=spec.image%3Dx",
        400,
        "BadRequest",
        "field label not supported: spec.image",
    ),
    Bad(
        "field-unknown-in-deletecollection",
        "DELETE",
        CONFIGMAPS + "?fieldSelector=data%3Dx",
        400,
        "BadRequest",
        '"data" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ),
    # -- list options (DecodeParameters, ValidateListOptions, the storage layer) -----------------------
    Bad(
        "limit-not-a-number",
        "GET",
        PODS + "?limit=ten",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "ten": invalid syntax',
    ),
    Bad(
        "limit-fraction",
        "GET",
        PODS + "?limit=1.5",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "1.5": invalid syntax',
    ),
    Bad(
        "limit-overflow",
        "GET",
        PODS + "?limit=99999999999999999999",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    ),
    Bad(
        "timeout-not-a-number",
        "GET",
        PODS + "?timeoutSeconds=soon",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "soon": invalid syntax',
    ),
    Bad(
        "watch-timeout-not-a-number",
        "GET",
        PODS + "?watch=1&timeoutSeconds=1m",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "1m": invalid syntax',
    ),
    Bad(
        "rv-not-a-number-cached",
        "GET",
        PODS + "?resourceVersion=abc",
        500,
        "",
        'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    ),
    Bad(
        "rv-not-a-number-etcd",
        "GET",
        PODS + "?resourceVersion=abc&limit=5",
        400,
        "BadRequest",
        'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": '
        "invalid syntax",
    ),
    Bad(
        "rv-negative",
        "GET",
        PODS + "?resourceVersion=-1",
        500,
        "",
        'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax',
    ),
    Bad(
        "rv-future",
        "GET",
        PODS + "?resourceVersion=999999",
        504,
        "Timeout",
        starts("Timeout: Too large resource version: 999999, current: "),
    ),
    Bad(
        "rv-future-exact",
        "GET",
        PODS + "?resourceVersion=999999&resourceVersionMatch=Exact",
        500,
        "",
        "etcdserver: mvcc: required revision is a future revision",
    ),
    Bad(
        "rvmatch-without-rv",
        "GET",
        PODS + "?resourceVersionMatch=Exact",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        ),
    ),
    Bad(
        "rvmatch-unsupported",
        "GET",
        PODS + "?resourceVersion=1&resourceVersionMatch=Newest",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
        ),
    ),
    Bad(
        "rvmatch-exact-zero",
        "GET",
        PODS + "?resourceVersion=0&resourceVersionMatch=Exact",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
    ),
    Bad(
        "rvmatch-with-continue",
        "GET",
        PODS + f"?continue={TOKEN_GOOD}&resourceVersionMatch=NotOlderThan",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "[resourceVersionMatch: Forbidden: resourceVersionMatch is "
            "forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: "
            "resourceVersionMatch is forbidden when continue is provided]",
        ),
    ),
    Bad(
        "send-initial-events-on-list",
        "GET",
        PODS + "?sendInitialEvents=true",
        422,
        "Invalid",
        inv("ListOptions.meta.k8s.io", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
    ),
    Bad(
        "watch-rvmatch-alone",
        "GET",
        PODS + "?watch=1&resourceVersionMatch=NotOlderThan",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for "
            "watch unless sendInitialEvents is provided",
        ),
    ),
    Bad(
        "watch-initial-events-without-match",
        "GET",
        PODS + "?watch=1&sendInitialEvents=true",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
    ),
    Bad(
        "continue-not-base64",
        "GET",
        PODS + "?limit=1&continue=!!!",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: illegal base64 data at input byte 0",
    ),
    Bad(
        "continue-not-json",
        "GET",
        PODS + "?limit=1&continue=" + base64.urlsafe_b64encode(b"nope").decode().rstrip("="),
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: invalid character 'o' in literal null (expecting 'u')"
        if False
        else starts("invalid continue token: continue key is not valid: "),
    ),
    Bad(
        "continue-unknown-version",
        "GET",
        PODS + f"?limit=1&continue={TOKEN_V1}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: server does not recognize this encoded version "
        "meta.k8s.io/v2",
    ),
    Bad(
        "continue-without-rv",
        "GET",
        PODS + f"?continue={TOKEN_NO_RV}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion "
        "(version meta.k8s.io/v1)",
    ),
    Bad(
        "continue-without-start",
        "GET",
        PODS + f"?continue={TOKEN_NO_START}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)",
    ),
    Bad(
        "continue-climbs-out",
        "GET",
        PODS + f"?continue={TOKEN_CLIMBS}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: ../secrets/x",
    ),
    Bad(
        "continue-with-rv",
        "GET",
        PODS + f"?continue={TOKEN_GOOD}&resourceVersion=3",
        400,
        "BadRequest",
        "specifying resource version is not allowed when using continue",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", QUERY_TABLE, ids=[bad.id for bad in QUERY_TABLE])
def test_a_bad_request_is_refused_as_kube_apiserver_refuses_it(world, cluster, bad):
    assert_refused(world, cluster, bad)
