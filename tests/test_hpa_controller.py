"""The HorizontalPodAutoscaler controller, its replica arithmetic, the simulated metrics and `kubectl autoscale`."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from cluster import clock
from cluster.apiserver.selectors import parse_label_selector
from cluster.controllers.hpa import HorizontalPodAutoscalerController
from cluster.reconciler.driver import ClusterDriver
from cluster.controllers.hpa_replicas import resource_replicas
from cluster.kubectl.cli import run
from cluster.metrics import PodMetric, cpu_usage, pod_cpu_metrics

APP = {"app": "php-apache"}
CPU_METRIC = "cpu resource utilization (percentage of request)"


@pytest.fixture(autouse=True)
def frozen_clock(cluster):
    """Virtual time stands still unless a test advances it."""
    clock.set_speed(cluster, 0)


def ago(api, seconds: float) -> str:
    return clock.rfc3339(api.now() - dt.timedelta(seconds=seconds))


def target(api, replicas: int = 1, request: str | None = "200m", limit: str | None = None) -> dict:
    resources = {}
    if request:
        resources["requests"] = {"cpu": request}
    if limit:
        resources["limits"] = {"cpu": limit}
    return api.create(
        "deployments",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "php-apache"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": APP},
                "template": {
                    "metadata": {"labels": APP},
                    "spec": {
                        "containers": [
                            {"name": "php-apache", "image": "registry.k8s.io/hpa-example", "resources": resources}
                        ]
                    },
                },
            },
        },
    )


def pod(
    api,
    name: str,
    usage: str | None = None,
    request: str | None = "200m",
    started: float = 600,
    ready: str = "True",
    ready_since: float = 590,
    phase: str = "Running",
    limit: str | None = None,
) -> dict:
    """A pod of the target as the kubelet reports it; `usage` pins its CPU usage."""
    resources = {"requests": {"cpu": request}} if request else {}
    if limit:
        resources["limits"] = {"cpu": limit}
    meta = {"name": name, "labels": dict(APP)}
    if usage is not None:
        meta["annotations"] = {"kubeclass.io/cpu-usage": usage}
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {
                "containers": [{"name": "php-apache", "image": "registry.k8s.io/hpa-example", "resources": resources}]
            },
        },
    )

    def report(p: dict) -> dict:
        p["status"] = {
            "phase": phase,
            "startTime": ago(api, started),
            "conditions": [
                {"type": "Ready", "status": ready, "lastProbeTime": None, "lastTransitionTime": ago(api, ready_since)}
            ],
        }
        return p

    return api.update_with("pods", "default", name, report, subresource="status")


def hpa(api, minimum: int = 1, maximum: int = 10, cpu: int = 50, behavior: dict | None = None) -> dict:
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": minimum,
        "maxReplicas": maximum,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            }
        ],
    }
    if behavior is not None:
        spec["behavior"] = behavior
    return api.create(
        "horizontalpodautoscalers",
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "php-apache"},
            "spec": spec,
        },
    )


def replicas(api) -> int:
    return api.get("deployments", "default", "php-apache")["spec"]["replicas"]


def conditions(api) -> dict[str, tuple[str, str]]:
    status = api.get("horizontalpodautoscalers", "default", "php-apache").get("status") or {}
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions") or []}


def events(api, reason: str) -> list[str]:
    items = sorted(api.list("events", "default")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in items if e["reason"] == reason]


# -- the recommendation, reconcile by reconcile ----------------------------------------
NO_DOWNSCALE_WINDOW = {"scaleDown": {"stabilizationWindowSeconds": 0}}
ONE_POD_PER_MINUTE_DOWN = {
    "scaleDown": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
}


@pytest.mark.parametrize(
    "current, usage, minimum, maximum, behavior, expected, limit_reason",
    [
        # 1 pod at 125 % of its 200m request, target 50 %: ceil(1 × 125/50) = 3
        (1, "250m", 1, 10, None, 3, "DesiredWithinRange"),
        # the php-apache walkthrough: 305 % wants ceil(6.1) = 7, one sync may only reach max(2 × 1, 4)
        (1, "610m", 1, 10, None, 4, "ScaleUpLimit"),
        # the tolerance band: 54 % and 46 % are within 10 % of the 50 % target, nothing changes
        (3, "108m", 1, 10, None, 3, "DesiredWithinRange"),
        (3, "92m", 1, 10, None, 3, "DesiredWithinRange"),
        # just outside it: 56 % → ceil(3 × 1.12) = 4
        (3, "112m", 1, 10, None, 4, "DesiredWithinRange"),
        # 55 %: |1 − 1.1| is a hair above 0.1 in floating point, in Go as in Python
        (3, "110m", 1, 10, None, 4, "DesiredWithinRange"),
        # clamped to maxReplicas
        (4, "200m", 1, 6, None, 6, "TooManyReplicas"),
        # clamped to minReplicas (no stabilization window, so the scale-down happens now)
        (4, "20m", 3, 10, NO_DOWNSCALE_WINDOW, 3, "TooFewReplicas"),
        # a rate policy: at most one pod less per minute
        (4, "20m", 1, 10, ONE_POD_PER_MINUTE_DOWN, 3, "ScaleDownLimit"),
        # default behavior policies (100 % or 4 pods per 15 s, the larger): 2 pods may become 2 + 4
        (2, "600m", 1, 20, {}, 6, "ScaleUpLimit"),
    ],
)
def test_recommendation_table(api, current, usage, minimum, maximum, behavior, expected, limit_reason):
    target(api, replicas=current)
    for i in range(current):
        pod(api, f"php-apache-{i}", usage=usage)
    hpa(api, minimum, maximum, behavior=behavior)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert replicas(api) == expected
    limited = "False" if limit_reason == "DesiredWithinRange" else "True"
    assert conditions(api)["ScalingLimited"] == (limited, limit_reason)
    assert conditions(api)["ScalingActive"] == ("True", "ValidMetricFound")
    status = api.get("horizontalpodautoscalers", "default", "php-apache")["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (current, expected)


def test_scale_up_reports_event_status_and_conditions(api):
    target(api, replicas=1)
    pod(api, "php-apache-0", usage="610m")
    hpa(api)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert events(api, "SuccessfulRescale") == [f"New size: 4; reason: {CPU_METRIC} above target"]
    status = api.get("horizontalpodautoscalers", "default", "php-apache")["status"]
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageUtilization": 305, "averageValue": "610m"}},
        }
    ]
    assert status["lastScaleTime"] == clock.rfc3339(api.now())
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to 4"),
        (
            "ScalingActive",
            "True",
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {CPU_METRIC}",
        ),
        (
            "ScalingLimited",
            "True",
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        ),
    ]


def test_reconcile_is_level_triggered_and_asks_to_run_again_in_fifteen_seconds(api):
    target(api, replicas=2)
    pod(api, "php-apache-0", usage="100m")
    pod(api, "php-apache-1", usage="100m")
    hpa(api)
    controller = HorizontalPodAutoscalerController(api)
    assert controller.reconcile("default/php-apache").requeue_after == 15
    revision = api.current_revision()
    controller.reconcile("default/php-apache")
    assert api.current_revision() == revision  # nothing changed, nothing written
    assert conditions(api)["AbleToScale"] == ("True", "ReadyForNewScale")


def test_scale_down_waits_for_five_minutes_of_lower_recommendations(api, cluster):
    target(api, replicas=4)
    for i in range(4):
        pod(api, f"php-apache-{i}", usage="20m", started=3600, ready_since=3590)
    hpa(api)
    controller = HorizontalPodAutoscalerController(api)
    controller.reconcile("default/php-apache")
    assert replicas(api) == 4
    assert conditions(api)["AbleToScale"] == ("True", "ScaleDownStabilized")
    for _ in range(20):  # 300 s of syncs every 15 s, each recommending 1 replica
        clock.advance(cluster, 15)
        controller.reconcile("default/php-apache")
        assert replicas(api) == 4
    clock.advance(cluster, 15)  # the first recommendation (4) has left the window
    controller.reconcile("default/php-apache")
    assert replicas(api) == 1
    assert events(api, "SuccessfulRescale") == ["New size: 1; reason: All metrics below target"]


def test_a_short_dip_in_load_does_not_scale_down(api, cluster):
    target(api, replicas=4)
    for i in range(4):
        pod(api, f"php-apache-{i}", usage="100m", started=3600, ready_since=3590)
    hpa(api)
    controller = HorizontalPodAutoscalerController(api)
    controller.reconcile("default/php-apache")
    for name in ("php-apache-0", "php-apache-1", "php-apache-2", "php-apache-3"):
        api.update_with(
            "pods",
            "default",
            name,
            lambda p: {**p, "metadata": {**p["metadata"], "annotations": {"kubeclass.io/cpu-usage": "10m"}}},
        )
    clock.advance(cluster, 60)
    controller.reconcile("default/php-apache")
    assert replicas(api) == 4
    assert not events(api, "SuccessfulRescale")


@pytest.mark.parametrize(
    "current, minimum, maximum, expected, reason",
    [
        (1, 2, 10, 2, "Current number of replicas below Spec.MinReplicas"),
        (12, 1, 10, 10, "Current number of replicas above Spec.MaxReplicas"),
    ],
)
def test_replicas_outside_the_bounds_are_brought_back_without_metrics(api, current, minimum, maximum, expected, reason):
    target(api, replicas=current)
    hpa(api, minimum, maximum)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert replicas(api) == expected
    assert events(api, "SuccessfulRescale") == [f"New size: {expected}; reason: {reason}"]


def test_target_scaled_to_zero_disables_autoscaling(api):
    target(api, replicas=0)
    hpa(api)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert replicas(api) == 0
    assert conditions(api)["ScalingActive"] == ("False", "ScalingDisabled")


# -- failures, in upstream's words --------------------------------------------------------
NO_METRICS = "unable to get metrics for resource cpu: no metrics returned from resource metrics API"


def test_pods_too_new_for_metrics_leave_the_hpa_unable_to_compute(api):
    target(api, replicas=1)
    pod(api, "php-apache-0", usage="500m", started=5, ready_since=2)
    hpa(api)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert replicas(api) == 1
    status = api.get("horizontalpodautoscalers", "default", "php-apache")["status"]
    assert status["currentMetrics"] == [{"type": ""}]
    scaling_active = next(c for c in status["conditions"] if c["type"] == "ScalingActive")
    assert (scaling_active["status"], scaling_active["reason"], scaling_active["message"]) == (
        "False",
        "FailedGetResourceMetric",
        f"the HPA was unable to compute the replica count: failed to get cpu utilization: {NO_METRICS}",
    )
    assert events(api, "FailedGetResourceMetric") == [f"failed to get cpu utilization: {NO_METRICS}"]
    assert events(api, "FailedComputeMetricsReplicas") == [
        f"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: "
        f"failed to get cpu utilization: {NO_METRICS}"
    ]


def test_pods_without_cpu_requests_cannot_be_autoscaled_on_utilization(api):
    target(api, replicas=1, request=None)
    pod(api, "php-apache-0", usage="100m", request=None)
    hpa(api)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert events(api, "FailedGetResourceMetric") == [
        "failed to get cpu utilization: missing request for cpu in container php-apache of Pod php-apache-0"
    ]


def test_missing_scale_target_is_reported(api):
    hpa(api)
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    assert conditions(api)["AbleToScale"] == ("False", "FailedGetScale")
    assert events(api, "FailedGetScale") == ['deployments.apps "php-apache" not found']


# -- the replica calculator, in isolation ---------------------------------------------------
NOW = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def before_now(seconds: int) -> str:
    return clock.rfc3339(NOW - dt.timedelta(seconds=seconds))


def calc_pod(
    name: str, phase: str = "Running", ready: str = "True", started_ago: int = 600, ready_ago: int = 590
) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "200m"}}}]},
        "status": {
            "phase": phase,
            "startTime": before_now(started_ago),
            "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": before_now(ready_ago)}],
        },
    }


def sample(millicores: int) -> PodMetric:
    return PodMetric(millicores, NOW, dt.timedelta(seconds=15))


@pytest.mark.parametrize(
    "pods, usage, expected",
    [
        pytest.param(
            [calc_pod("a"), calc_pod("b"), calc_pod("c")],
            {"a": 200, "b": 200, "c": 200},
            6,
            id="all-ready-100%-of-request-target-50%",
        ),
        # scale-up: the pod without metrics counts as using nothing: (200+200+0)/600 = 66 % → ceil(3 × 1.32)
        pytest.param(
            [calc_pod("a"), calc_pod("b"), calc_pod("c")],
            {"a": 200, "b": 200},
            4,
            id="missing-metrics-count-as-zero-on-scale-up",
        ),
        # scale-down: the pod without metrics counts as using its whole request: (3×20+200)/800 = 32 % → ceil(4 × .64)
        pytest.param(
            [calc_pod(n) for n in "abcd"],
            {"a": 20, "b": 20, "c": 20},
            3,
            id="missing-metrics-count-as-full-request-on-scale-down",
        ),
        # scale-up: an unready pod (just started, not Ready) counts as using nothing
        pytest.param(
            [calc_pod("a"), calc_pod("b"), calc_pod("c", ready="False", started_ago=60, ready_ago=60)],
            {"a": 200, "b": 200, "c": 400},
            4,
            id="unready-pods-count-as-zero-on-scale-up",
        ),
        # scale-down: the unready pod is left out altogether: ready pods at 10 % → ceil(2 × .2)
        pytest.param(
            [calc_pod("a"), calc_pod("b"), calc_pod("c", ready="False", started_ago=60, ready_ago=60)],
            {"a": 20, "b": 20, "c": 400},
            1,
            id="unready-pods-ignored-on-scale-down",
        ),
        # a Pending pod is unready too
        pytest.param(
            [calc_pod("a"), calc_pod("b", phase="Pending")], {"a": 400}, 4, id="pending-pods-count-as-zero-on-scale-up"
        ),
        # a sample taken before a new pod's readiness settled is set aside, then counted as zero: (200+0)/400 = 50 %
        pytest.param(
            [calc_pod("a"), calc_pod("b", started_ago=30, ready_ago=5)],
            {"a": 200, "b": 400},
            2,
            id="sample-older-than-readiness-ignored",
        ),
        # 55 % says scale up, but with the missing pod at zero it would say down: stay at 3
        pytest.param(
            [calc_pod("a"), calc_pod("b"), calc_pod("c")],
            {"a": 110, "b": 110},
            3,
            id="missing-pods-never-reverse-the-direction",
        ),
    ],
)
def test_replica_calculator_handles_missing_and_unready_pods_as_upstream(pods, usage, expected):
    metrics = {name: sample(value) for name, value in usage.items()}
    assert resource_replicas(len(pods), 50, pods, metrics, NOW).replicas == expected


# -- the simulated metrics-server and load generator ----------------------------------------
def test_load_on_a_service_is_shared_by_its_ready_pods(api):
    api.create(
        "services",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "php-apache"},
            "spec": {"selector": APP, "ports": [{"port": 80}]},
        },
    )
    pod(api, "p0")
    pod(api, "p1")
    pod(api, "not-ready", ready="False")
    pod(api, "capped", limit="300m")
    out = io.StringIO()
    assert run(api, ["load-generator", "start", "php-apache", "--qps", "20"], stdout=out, stderr=io.StringIO()) == 0
    assert "20 requests/s" in out.getvalue()
    usage = cpu_usage(api, "default", api.list("pods", "default")["items"])
    # 20 requests/s × 50m = 1000m over three ready pods, plus 1m idle each; the limit throttles one
    assert usage == {"p0": 334, "p1": 334, "not-ready": 1, "capped": 300}
    run(api, ["load-generator", "stop", "svc/php-apache"], stdout=io.StringIO(), stderr=io.StringIO())
    assert cpu_usage(api, "default", api.list("pods", "default")["items"])["p0"] == 1


def test_metrics_server_reports_pods_after_one_resolution(api):
    pod(api, "old", usage="120m")
    pod(api, "new", usage="120m", started=10, ready_since=5)
    metrics = pod_cpu_metrics(api, "default", parse_label_selector("app=php-apache"))
    assert {name: m.value for name, m in metrics.items()} == {"old": 120}


def test_load_generator_drives_the_autoscaler_up(api):
    api.create(
        "services",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "php-apache"},
            "spec": {"selector": APP, "ports": [{"port": 80}]},
        },
    )
    target(api, replicas=1)
    pod(api, "php-apache-0")
    hpa(api)
    run(api, ["load-generator", "start", "php-apache", "--qps", "10"], stdout=io.StringIO(), stderr=io.StringIO())
    HorizontalPodAutoscalerController(api).reconcile("default/php-apache")
    # 500m of load + 1m idle on one 200m pod: 250 % of the request against a 50 % target → 5, capped at 4 per sync
    assert replicas(api) == 4


# -- kubectl autoscale ------------------------------------------------------------------------
def kubectl(api, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(api, list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_kubectl_autoscale_creates_the_hpa_kubectl_builds(api):
    target(api)
    code, out, err = kubectl(api, "autoscale", "deployment", "php-apache", "--cpu-percent=50", "--min=1", "--max=10")
    assert (code, out, err) == (0, "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n", "")
    spec = api.get("horizontalpodautoscalers", "default", "php-apache")["spec"]
    assert spec == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
            }
        ],
    }


def test_kubectl_autoscale_leaves_defaults_to_the_server(api):
    target(api)
    assert kubectl(api, "autoscale", "deploy/php-apache", "--max=5", "--name=web")[0] == 0
    spec = api.get("horizontalpodautoscalers", "default", "web")["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max=0"], "error: --max=MAXPODS is required and must be at least 1, max: 0\n"),
        (["--max=2", "--min=3"], "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 2, min: 3\n"),
        (
            ["--max=x"],
            'Error: invalid argument "x" for "--max" flag: strconv.ParseInt: parsing "x": invalid syntax\n'
            "See 'kubectl autoscale --help' for usage.\n",
        ),
        (["--max=3", "--foo"], "Error: unknown flag: --foo\nSee 'kubectl autoscale --help' for usage.\n"),
    ],
)
def test_kubectl_autoscale_rejects_bad_flags_like_kubectl(api, args, message):
    target(api)
    assert kubectl(api, "autoscale", "deployment", "php-apache", *args) == (1, "", message)
    assert api.list("horizontalpodautoscalers", "default")["items"] == []


def test_kubectl_autoscale_requires_max(api):
    code, out, err = kubectl(api, "autoscale", "deployment", "php-apache")
    assert code == 1 and err.endswith('"command failed" err="required flag(s) \\"max\\" not set"\n')


def test_kubectl_autoscale_reports_targets_it_cannot_scale(api):
    pod(api, "lonely")
    assert kubectl(api, "autoscale", "pod", "lonely", "--max=3") == (
        1,
        "",
        "error: cannot autoscale a Pod: could not find scale subresource for /v1, Resource=pods in discovery "
        "information\n",
    )
    assert kubectl(api, "autoscale", "deployment", "nope", "--max=3") == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )


# -- through the reconciler: when the controller looks ---------------------------------------
def test_a_new_hpa_is_first_looked_at_one_sync_period_later_then_once_per_period(api, cluster):
    target(api, replicas=1, request=None)  # no cpu request: every pass warns that it cannot compute
    hpa(api)
    driver = ClusterDriver(cluster)
    driver.fast_forward(seconds=14)
    hpa_events = [e for e in api.list("events", "default")["items"] if e["involvedObject"]["kind"].startswith("Horiz")]
    assert hpa_events == []  # enqueueHPA: AddRateLimited, 15 s
    assert not (api.get("horizontalpodautoscalers", "default", "php-apache").get("status") or {}).get("conditions")
    driver.fast_forward(seconds=2)
    warned = [e for e in api.list("events", "default")["items"] if e["reason"] == "FailedGetResourceMetric"]
    # one pass, not a second one at once for the HPA's own status write
    assert [e.get("count", 1) for e in warned] == [1]
    driver.fast_forward(seconds=15)
    warned = [e for e in api.list("events", "default")["items"] if e["reason"] == "FailedGetResourceMetric"]
    assert sum(e.get("count", 1) for e in warned) == 2  # the second pass, 15 s after the first
