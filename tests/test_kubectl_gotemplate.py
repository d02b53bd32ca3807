"""`kubectl get -o go-template`: Go's text/template over the object, as kubectl v1.32 runs it.

Each row of the table is a template and what kubectl prints for it over POD: the output, or the error
(kubectl then also prints what it had written and a debugging block). The rows are checked against our
engine and — when the real kubectl is installed — against kubectl's own printer (`kubectl patch --local
-o go-template=…` prints a local object with it), so the table itself is checked against the oracle.
"""

from __future__ import annotations


import pytest

from cluster.kubectl import gotemplate
from cluster.models import Cluster
from tests.kubectl_local import KUBECTL, patch_locally
from tests.workload_sim import KubectlSim


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web <1>", "creationTimestamp": None, "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "activeDeadlineSeconds": 123456,
        "terminationGracePeriodSeconds": 1000000,
        "containers": [
            {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}, {"containerPort": 443}]},
            {"name": "b", "image": "busybox"},
        ],
    },
    "data": {"token": "c2VjcmV0"},
}

ERROR = "error executing template"
CASES = {
    # (template, what is printed, the start of kubectl's error)
    "a field": ("{{.metadata.name}}", "web <1>", ""),
    "the tutorial's names, one a line": ('{{range .spec.containers}}{{.name}}{{"\\n"}}{{end}}', "a\nb\n", ""),
    "the tutorial's node port": ("{{(index .spec.containers 0).name}}", "a", ""),
    "a map, keys in order": ("{{.metadata.labels}}", "map[app:web tier:front]", ""),
    "a missing key": ("{{.nope}} {{.nope.deeper}}", "<no value> <no value>", ""),
    "a null": ("{{.metadata.creationTimestamp}}", "<no value>", ""),
    "whole numbers stay whole": (
        "{{.spec.terminationGracePeriodSeconds}} {{.spec.activeDeadlineSeconds}}",
        "1000000 123456",
        "",
    ),
    "template numbers": ("{{ 1.5 }} {{ 1000000.0 }} {{ 0.00001 }} {{ 0x1F }} {{ 'a' }}", "1.5 1e+06 1e-05 31 97", ""),
    "printf": ('{{printf "%05d|%-4s|%q|%x|%.2f" 42 "ab" "q" 255 3.14159}}', '00042|ab  |"q"|ff|3.14', ""),
    "printf's wrong verb": ('{{printf "%d %t" "s" 1}}', "%!d(string=s) %!t(int=1)", ""),
    "printf into a map": (
        '{{printf "%s" .spec.containers}}',
        "[map[image:nginx name:a ports:[map[containerPort:%!s(int64=80)] map[containerPort:%!s(int64=443)]]] "
        "map[image:busybox name:b]]",
        "",
    ),
    "a pipeline": ('{{.metadata.labels.app | printf "%q"}} {{.spec.containers | len}}', '"web" 2', ""),
    "range with index and element": (
        "{{range $i, $c := .spec.containers}}{{$i}}:{{$c.image}} {{end}}",
        "0:nginx 1:busybox ",
        "",
    ),
    "range over a map": ("{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}", "app=web;tier=front;", ""),
    "range over nothing, else": ("{{range .nope}}x{{else}}none{{end}}", "none", ""),
    "break": ('{{range .spec.containers}}{{if eq .name "b"}}{{break}}{{end}}{{.name}}{{end}}', "a", ""),
    "if, else if, else": ("{{if .nope}}a{{else if .metadata}}b{{else}}c{{end}}", "b", ""),
    "with": ("{{with .metadata}}{{.name}}{{end}}|{{with .nope}}x{{else}}none{{end}}", "web <1>|none", ""),
    "trim markers": ('{{- .metadata.labels.app -}}   x   {{- "y" }}', "webxy", ""),
    "a comment": ("{{/* nothing */}}z", "z", ""),
    "variables and $": (
        "{{$n := .metadata.labels.app}}{{$n}} {{range .spec.containers}}{{$.kind}}{{end}}",
        "web PodPod",
        "",
    ),
    "and, or, not": ('{{and .metadata.name .nope}}|{{or .nope "" .kind}}|{{not .nope}}', "<no value>|Pod|true", ""),
    "comparisons": (
        '{{lt 1 2}} {{gt "b" "a"}} {{eq .spec.activeDeadlineSeconds 123456}} {{ne 1 2}}',
        "true true true true",
        "",
    ),
    "exists": ('{{exists . "spec" "containers"}} {{exists . "spec" "nope"}}', "true false", ""),
    "base64decode": ("{{.data.token | base64decode}}", "secret", ""),
    "index and slice": ('{{index .metadata.labels "app"}} {{slice "abc" 1}} {{index "abc" 1}}', "web bc 98", ""),
    "print and println": ('{{print 1 2 "a" 3}}|{{println 1 "a"}}', "1 2a3|1 a\n", ""),
    "define and template": (
        '{{define "x"}}[{{.name}}]{{end}}{{range .spec.containers}}{{template "x" .}}{{end}}',
        "[a][b]",
        "",
    ),
    "a field of a string": (
        "{{.metadata.name.x}}",
        "",
        'template: output:1:11: executing "output" at <.metadata.name.x>: can\'t evaluate field x in type interface {}',
    ),
    "a field of a null": (
        "{{.metadata.creationTimestamp.x}}",
        "",
        'template: output:1:11: executing "output" at <.metadata.creationTimestamp.x>: '
        "nil pointer evaluating interface {}.x",
    ),
    "an index out of range": (
        "{{index .spec.containers 5}}",
        "",
        'template: output:1:2: executing "output" at <index .spec.containers 5>: '
        "error calling index: index out of range: 5",
    ),
    "int and float": (
        "{{le 1 1.5}}",
        "",
        'template: output:1:2: executing "output" at <le 1 1.5>: error calling le: incompatible types for comparison',
    ),
    "range over a string": (
        "{{range .kind}}{{.}}{{end}}",
        "",
        'template: output:1:8: executing "output" at <.kind>: range can\'t iterate over Pod',
    ),
    "bad base64": (
        '{{"aGVsbG8" | base64decode}}',
        "",
        'template: output:1:14: executing "output" at <base64decode>: error calling base64decode: '
        "base64 decode failed: illegal base64 data at input byte 4",
    ),
    "an unknown template": (
        '{{ template "x" }}',
        "",
        'template: output:1:12: executing "output" at <{{template "x"}}>: template "x" not defined',
    ),
}
PARSE_ERRORS = {
    "unclosed action": ("{{.metadata.name", "template: output:1: unclosed action"),
    "an unknown function": ('{{ "a" | upper }}', 'template: output:1: function "upper" not defined'),
    "an end too many": ("{{end}}", "template: output:1: unexpected {{end}}"),
    "no end": ("{{if .kind}}x", "template: output:1: unexpected EOF"),
    "an undefined variable": ("{{$x}}", 'template: output:1: undefined variable "$x"'),
    "a stray character": ("{{ ! }}", 'template: output:1: unexpected "!" in command'),
    "an empty action": ("{{}}", "template: output:1: missing value for command"),
    "break outside range": ("{{break}}", "template: output:1: {{break}} outside {{range}}"),
}


def kubectls_printer(template: str, obj: dict, tmp_path) -> tuple[str, str]:
    """What kubectl's own GoTemplatePrinter prints for `obj`: stdout and its `error: …` line."""
    result = patch_locally(obj, {}, "merge", "go-template=" + template, tmp_path)
    return result.stdout, result.stderr


def ours(template: str, obj: dict) -> tuple[str, str]:
    printed = gotemplate.execute(template, obj)
    return printed.stdout, f"error: {printed.error}\n" if printed.error else ""


@pytest.mark.parametrize(("template", "output", "error"), CASES.values(), ids=list(CASES))
def test_a_template_prints_what_kubectl_prints(template, output, error):
    stdout, stderr = ours(template, POD)
    if not error:
        assert (stdout, stderr) == (output, "")
    else:  # what was printed before the error, then kubectl's debugging block
        assert stderr == f"error: {ERROR} {gotemplate.go_quote(template)}: {error}\n"
        assert stdout.startswith(f"Error executing template: {error}. Printing more information")
        assert f"\traw data was:\n\t\t{gotemplate.go_json(POD)}\n" in stdout


@pytest.mark.parametrize(("template", "error"), PARSE_ERRORS.values(), ids=list(PARSE_ERRORS))
def test_a_template_that_does_not_parse_is_refused_in_gos_words(template, error):
    assert ours(template, POD) == ("", f"error: error parsing template {template}, {error}\n")


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl is the oracle")
@pytest.mark.parametrize(
    "template",
    [t for t, *_ in CASES.values()] + [t for t, _ in PARSE_ERRORS.values()],
    ids=list(CASES) + list(PARSE_ERRORS),
)
def test_the_table_agrees_with_kubectls_own_printer(template, tmp_path):
    assert ours(template, POD) == kubectls_printer(template, POD, tmp_path)


def test_a_template_that_would_run_for_ever_is_stopped():
    """Ranges nested over a sandbox's objects: 200⁴ steps would hold the class server's thread for hours."""
    many = {"items": [{"n": i} for i in range(200)]}
    template = "{{range .items}}{{range $.items}}{{range $.items}}{{range $.items}}.{{end}}{{end}}{{end}}{{end}}"
    stdout, stderr = ours(template, many)
    assert "took more than a million steps" in stderr
    assert len(stdout) < 2_000_000


# -- through kubectl get ---------------------------------------------------------------------------------
@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    sim = KubectlSim(cluster)
    sim.ok("run web --image=nginx")
    sim.ok("run db --image=busybox -- sleep 3600")
    return sim


@pytest.mark.parametrize(
    ("command", "printed"),
    [
        ("""get pods -o go-template='{{range .items}}{{.metadata.name}}{{"\\n"}}{{end}}'""", "db\nweb\n"),
        ("get pods -o go-template --template '{{len .items}}'", "2"),
        ("get pods --template '{{len .items}}'", "2"),  # a template alone means -o go-template
        ("get pod web -o template='{{(index .spec.containers 0).image}}'", "nginx"),
        ("get pod web -o go-template='{{(index .metadata.managedFields 0).manager}}'", "kubectl-run"),  # kept
    ],
)
def test_kubectl_get_prints_through_a_go_template(sim: KubectlSim, command: str, printed: str) -> None:
    assert sim.ok(command) == printed


def test_kubectl_get_words_a_template_error_as_kubectl_does(sim: KubectlSim) -> None:
    code, stdout, stderr = sim.run("get pods -o go-template")
    assert (code, stdout, stderr) == (1, "", "error: template format specified but no template given\n")
    code, stdout, stderr = sim.run(
        "get pods --allow-missing-template-keys=false -o go-template='{{range .items}}{{.nope}}{{end}}'"
    )
    assert code == 1
    assert stderr.endswith('executing "output" at <.nope>: map has no entry for key "nope"\n')
