"""The job controller and the TTL-after-finished controller, driven with every other component running.

The documentation's examples (the `pi` Job, an Indexed Job) and each behaviour upstream documents:
completions and parallelism, the pod failure back-off and backoffLimit, podFailurePolicy, the active
deadline, suspension, ttlSecondsAfterFinished, and what kubectl shows of all that.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.printers_workloads import job_completions
from cluster.runtime import NoAddress, NodeRuntime
from tests.workload_sim import Sim, conditions, job, labels

PI = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
"""


@pytest.fixture
def sim(cluster) -> Sim:
    return Sim(cluster)


def created_at(pod: dict) -> dt.datetime:
    return clock.parse_rfc3339(pod["metadata"]["creationTimestamp"])


def test_the_pi_job_of_the_documentation_completes(sim):
    sim.apply(PI)
    sim.run(60)
    pi = sim.get("jobs", "pi")
    assert conditions(pi) == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    assert pi["status"]["succeeded"] == 1 and pi["status"]["uncountedTerminatedPods"] == {}
    assert pi["status"]["ready"] == 0 and pi["status"]["terminating"] == 0
    assert pi["status"]["completionTime"] >= pi["status"]["startTime"]
    [pod] = sim.pods(prefix="pi-")
    assert pod["status"]["phase"] == "Succeeded"
    assert "finalizers" not in pod["metadata"]  # counted: the job-tracking finalizer is gone
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    assert labels(pod)["batch.kubernetes.io/job-name"] == "pi" and labels(pod)["job-name"] == "pi"
    assert labels(pod)["batch.kubernetes.io/controller-uid"] == pi["metadata"]["uid"]
    name = pod["metadata"]["name"]
    assert sim.events("Job") == [
        ("Normal", "SuccessfulCreate", f"Created pod: {name}"),
        ("Normal", "Completed", "Job completed"),
    ]
    row = sim.rows("get job pi")[0]
    assert row[:3] == ["pi", "Complete", "1/1"]
    assert sim.ok("get job pi").splitlines()[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert sim.rows("get pods")[0][:3] == [name, "0/1", "Completed"]
    described = sim.ok("describe job pi")
    assert "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed\n" in described
    assert f"Selector:         batch.kubernetes.io/controller-uid={pi['metadata']['uid']}\n" in described
    assert f"Created pod: {name}" in described and "Job completed" in described
    assert sim.ok("logs " + name).startswith("3.14159")


def test_a_job_of_completions_runs_at_most_parallelism_pods(sim):
    sim.apply(job("batch", "sleep 5", completions=4, parallelism=2))
    sim.run(1)
    assert len(sim.pods(prefix="batch-")) == 2
    assert sim.rows("get job batch")[0][:3] == ["batch", "Running", "0/4"]
    sim.run(60)
    pods = sim.pods(prefix="batch-")
    assert len(pods) == 4 and all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert sim.rows("get job batch")[0][:3] == ["batch", "Complete", "4/4"]


def test_failed_pods_back_off_then_the_job_fails_at_its_backoff_limit(sim):
    sim.apply(job("fail", "exit 1", backoffLimit=2))
    sim.run(120)
    pods = sorted(sim.pods(prefix="fail-"), key=created_at)
    assert len(pods) == 3  # the first try and backoffLimit retries
    gaps = [(created_at(b) - created_at(a)).total_seconds() for a, b in zip(pods, pods[1:])]
    assert 10 <= gaps[0] < 14 and 20 <= gaps[1] < 24  # 10 s, then 20 s after each failure
    failed = sim.get("jobs", "fail")
    assert conditions(failed) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]
    assert failed["status"]["failed"] == 3 and "completionTime" not in failed["status"]
    assert sim.events("Job")[-1] == ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert sim.rows("get job fail")[0][:3] == ["fail", "Failed", "0/1"]
    assert sim.rows("get pods")[0][2] == "Error"


def test_with_restart_policy_on_failure_container_restarts_count_against_the_limit(sim):
    sim.apply(job("retry", "exit 1", restart="OnFailure", backoffLimit=2))
    sim.run(120)
    assert conditions(sim.get("jobs", "retry"))[-1] == ("Failed", "True", "BackoffLimitExceeded")
    assert len(sim.pods(prefix="retry-")) == 0 or all(
        p["metadata"].get("deletionTimestamp") for p in sim.pods(prefix="retry-")
    )
    assert ("Normal", "SuccessfulDelete") == sim.events("Job")[1][:2]


INDEXED = """
apiVersion: batch/v1
kind: Job
metadata:
  name: indexed-job
spec:
  completions: 5
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: worker
        image: docker.io/library/busybox
        command: ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX host=$(hostname); sleep 2"]
"""


def test_an_indexed_job_gives_each_pod_its_completion_index(sim):
    sim.apply(INDEXED)
    sim.run(1)
    assert sorted(p["metadata"]["name"].rsplit("-", 1)[0] for p in sim.pods()) == [
        "indexed-job-0",
        "indexed-job-1",
        "indexed-job-2",
    ]
    sim.run(60)
    pods = sim.pods(prefix="indexed-job-")
    assert len(pods) == 5
    for pod in pods:
        index = labels(pod)["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == index
        assert pod["metadata"]["name"].startswith(f"indexed-job-{index}-")
        assert pod["spec"]["hostname"] == f"indexed-job-{index}"
        assert {
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": {
                "fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']",
                }
            },
        } in pod["spec"]["containers"][0]["env"]
        assert sim.ok(f"logs {pod['metadata']['name']}") == f"index={index} host=indexed-job-{index}\n"
    status = sim.get("jobs", "indexed-job")["status"]
    assert status["completedIndexes"] == "0-4" and status["succeeded"] == 5
    assert "Completed Indexes:  0-4\n" in sim.ok("describe job indexed-job")


def test_the_pod_failure_policy_fails_the_job_on_a_matching_exit_code(sim):
    sim.apply("""
apiVersion: batch/v1
kind: Job
metadata:
  name: job-pod-failure-policy-example
spec:
  completions: 12
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: docker.io/library/bash:5
        command: ["bash"]
        args:
        - -c
        - echo "Hello world!" && sleep 5 && exit 42
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: main
        operator: In
        values: [42]
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
""")
    sim.run(60)
    failed = sim.get("jobs", "job-pod-failure-policy-example")
    cond = failed["status"]["conditions"][-1]
    assert (cond["type"], cond["reason"]) == ("Failed", "PodFailurePolicy")
    assert cond["message"].startswith("Container main for pod default/job-pod-failure-policy-example-")
    assert cond["message"].endswith("failed with exit code 42 matching FailJob rule at index 0")
    assert failed["spec"]["podReplacementPolicy"] == "Failed"
    assert failed["spec"]["podFailurePolicy"]["rules"][1]["onPodConditions"][0]["status"] == "True"
    reasons = [reason for _type, reason, _message in sim.events("Job")]
    assert reasons.count("SuccessfulCreate") == 3  # parallelism 3, and no retry after the FailJob rule matched
    assert reasons[-1] == "PodFailurePolicy"


def test_ignored_failures_do_not_count_and_counted_ones_do(sim):
    sim.apply(
        job(
            "ignore",
            "exit 3",
            backoffLimit=0,
            podFailurePolicy="{rules: [{action: Ignore, onExitCodes: {operator: In, values: [3]}}]}",
        )
    )
    sim.apply(
        job(
            "count",
            "exit 5",
            backoffLimit=0,
            podFailurePolicy="{rules: [{action: Count, onExitCodes: {operator: In, values: [5]}}]}",
        )
    )
    sim.run(40)
    ignored = sim.get("jobs", "ignore")
    assert not ignored["status"].get("failed") and not conditions(ignored)
    assert len(sim.pods(prefix="ignore-")) >= 2  # each ignored failure is replaced
    assert conditions(sim.get("jobs", "count"))[-1] == ("Failed", "True", "BackoffLimitExceeded")


def test_active_deadline_seconds_fails_a_job_that_runs_too_long(sim):
    sim.apply(job("slow", "sleep 300", activeDeadlineSeconds=5))
    sim.run(60)
    slow = sim.get("jobs", "slow")
    assert conditions(slow) == [("FailureTarget", "True", "DeadlineExceeded"), ("Failed", "True", "DeadlineExceeded")]
    assert slow["status"]["conditions"][0]["message"] == "Job was active longer than specified deadline"
    started = clock.parse_rfc3339(slow["status"]["startTime"])
    target = clock.parse_rfc3339(slow["status"]["conditions"][0]["lastTransitionTime"])
    assert (target - started).total_seconds() == 5
    reasons = [reason for _type, reason, _message in sim.events("Job")]
    assert reasons == ["SuccessfulCreate", "SuccessfulDelete", "DeadlineExceeded"]
    assert sim.pods(prefix="slow-") == []


def test_ttl_seconds_after_finished_deletes_the_job_and_its_pods(sim):
    sim.apply(job("short", "echo done", ttlSecondsAfterFinished=20))
    sim.run(10)
    assert conditions(sim.get("jobs", "short"))[-1][0] == "Complete"
    assert len(sim.pods(prefix="short-")) == 1
    sim.run(30)
    with pytest.raises(StatusError):
        sim.get("jobs", "short")
    assert sim.pods(prefix="short-") == []


def test_a_suspended_job_starts_nothing_until_it_is_resumed(sim):
    sim.apply(job("later", "echo hi", suspend="true"))
    sim.run(10)
    later = sim.get("jobs", "later")
    assert sim.pods(prefix="later-") == [] and "startTime" not in later["status"]
    assert conditions(later) == [("Suspended", "True", "JobSuspended")]
    assert sim.rows("get job later")[0][:2] == ["later", "Suspended"]
    sim.ok("""patch job later --type=merge -p '{"spec":{"suspend":false}}'""")
    sim.run(20)
    resumed = sim.get("jobs", "later")
    assert ("Suspended", "False", "JobResumed") in conditions(resumed)
    assert conditions(resumed)[-1] == ("Complete", "True", "CompletionsReached")
    # manageJob creates the pods first, then the condition changes: the same order as upstream's events
    assert [reason for _t, reason, _m in sim.events("Job")] == ["Suspended", "SuccessfulCreate", "Resumed", "Completed"]


def test_deleting_a_running_job_deletes_its_pods_and_lets_them_go(sim):
    sim.apply(job("long", "sleep 600", parallelism=2, completions=2))
    sim.run(5)
    assert len(sim.pods(prefix="long-")) == 2
    sim.ok("delete job long")
    sim.run(60)
    assert sim.pods(prefix="long-") == []


def test_kubectl_create_job_prints_and_runs_it(sim):
    assert sim.ok("create job hello --image=busybox:1.36 -- echo hello") == "job.batch/hello created\n"
    created = sim.get("jobs", "hello")
    container = created["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["command"]) == ("hello", ["echo", "hello"])
    assert created["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    header = sim.ok("get jobs -o wide").splitlines()[0].split()
    assert header == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    sim.run(20)
    assert sim.rows("get job hello")[0][:3] == ["hello", "Complete", "1/1"]
    assert sim.kubectl("create job x") == (1, "", "error: either --image or --from must be specified\n")


@pytest.mark.parametrize(
    "spec, completions", [({"completions": 3}, "0/3"), ({"parallelism": 2}, "0/1 of 2"), ({"parallelism": 1}, "0/1")]
)
def test_the_completions_column(spec, completions):
    assert job_completions({"spec": spec, "status": {}}) == completions


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"restart": "Always"}, 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'),
        (
            {"completionMode": "Indexed", "parallelism": 2},
            "spec.completions: Required value: when completion mode is Indexed",
        ),
        ({"backoffLimit": -1}, "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"),
        (
            {
                "restart": "OnFailure",
                "podFailurePolicy": "{rules: [{action: FailJob, onExitCodes: {operator: In, values: [1]}}]}",
            },
            'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported '
            "when podFailurePolicy "
            "is specified",
        ),
    ],
)
def test_invalid_jobs_are_refused_with_upstreams_message(sim, spec, message):
    with pytest.raises(StatusError) as refused:
        sim.apply(job("bad", "true", **spec))
    assert refused.value.code == 422 and message in refused.value.message
    assert sim.api.list("jobs", "default")["items"] == []


def test_a_jobs_template_and_selector_are_immutable(sim):
    sim.apply(job("fixed", "sleep 100"))
    code, _out, err = sim.kubectl("set image job/fixed main=busybox:1.37")
    assert code == 1 and "spec.template: Invalid value: <omitted>: field is immutable" in err


def test_a_node_gives_the_addresses_of_finished_pods_back_to_its_range(sim):
    """A /24 holds 253 pod addresses; the kubelet stops a finished pod's sandbox and host-local IPAM takes its
    address back, so one node runs a Job of 300 short pods (its 254th pod used to fail with no address left)."""
    sim.ok("cordon worker-2")
    sim.ok("cordon worker-3")
    sim.apply(job("many", "exit 0", completions=300, parallelism=60))
    sim.run(240)
    pods = sim.pods(prefix="many-")
    assert {p["spec"]["nodeName"] for p in pods} == {"worker-1"}
    assert sim.get("jobs", "many")["status"].get("succeeded") == 300
    assert len({p["status"]["podIP"] for p in pods}) <= 253  # addresses were used again
    assert not [e for e in sim.events("Pod") if e[1] == "FailedCreatePodSandBox"]


def test_a_range_without_a_free_address_is_cnis_error_and_a_stopped_sandbox_frees_one(cluster):
    runtime = NodeRuntime(cluster, "worker-1")
    now = clock.wall_now()
    sandboxes = [runtime.run_pod_sandbox(f"uid-{i}", f"default/p{i}", "10.244.9.0/29", now) for i in range(5)]
    assert [s["ip"] for s in sandboxes] == [f"10.244.9.{i}" for i in range(2, 7)]  # .1 is the bridge
    with pytest.raises(NoAddress, match=r"^no IP addresses available in range set: 10\.244\.9\.1-10\.244\.9\.6$"):
        runtime.run_pod_sandbox("uid-5", "default/p5", "10.244.9.0/29", now)
    runtime.stop_pod_sandbox("uid-2")
    assert runtime.run_pod_sandbox("uid-5", "default/p5", "10.244.9.0/29", now)["ip"] == "10.244.9.4"
