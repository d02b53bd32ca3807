"""A finishing Job waits for its terminating pods before its terminal condition, as in v1.32.

With the feature gates JobPodReplacementPolicy (beta since 1.29) and JobManagedBy (beta since 1.32) on,
the job controller (pkg/controller/job/job_controller.go: delayTerminalCondition, trackTerminatingPods,
enactJobFinished) first adds the interim condition FailureTarget or SuccessCriteriaMet and deletes the
Job's active pods; status.terminating counts the pods still shutting down. Only once none is left does it
add Failed or Complete (and completionTime) and record the event: DeadlineExceeded, BackoffLimitExceeded,
PodFailurePolicy or Completed. `kubectl get job` shows FailureTarget meanwhile; a Job that met its
success criteria still shows Running in 1.32 (printJob learned SuccessCriteriaMet later, in
kubernetes/kubernetes#132832).

Each case runs every component: the pods' `sh -c … sleep 100` ignores SIGTERM (a shell as PID 1 has no
handler), so a deleted pod terminates for its whole 30 s grace period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cluster import clock
from tests.workload_sim import Sim, conditions, job

SLEEPER = "sleep 100"
# index 0 finishes at once (exit code `{code}`), the other indexes outlive any deadline
FIRST_INDEX_EXITS = 'if [ \\"$JOB_COMPLETION_INDEX\\" = 0 ]; then exit {code}; fi; sleep 100'
# index 0 fails after 10 s, when the other indexes run whichever node pulled its image last
FIRST_INDEX_FAILS_LATER = 'if [ \\"$JOB_COMPLETION_INDEX\\" = 0 ]; then sleep 10; exit {code}; fi; sleep 100'


@dataclass
class Case:
    manifest: str
    interim: tuple[str, str, str]  # the condition added first
    terminating: int  # status.terminating while the deleted pods shut down
    failed: int  # status.failed meanwhile (a failing Job counts the pods it deletes as failed at once)
    status_column: str  # `kubectl get job` STATUS meanwhile
    event: tuple[str, str, str]  # recorded with the terminal condition, not before
    patch: str = ""  # applied once the Job runs (kubectl patch job … --type=merge -p)


CASES = {
    "active deadline exceeded": Case(
        job("slow", SLEEPER, activeDeadlineSeconds=5, backoffLimit=5),
        interim=("FailureTarget", "True", "DeadlineExceeded"),
        terminating=1,
        failed=1,
        status_column="FailureTarget",
        event=("Warning", "DeadlineExceeded", "Job was active longer than specified deadline"),
    ),
    "backoff limit exceeded with a pod still running": Case(
        job(
            "slow",
            FIRST_INDEX_FAILS_LATER.format(code=1),
            completionMode="Indexed",
            completions=2,
            parallelism=2,
            backoffLimit=0,
        ),
        interim=("FailureTarget", "True", "BackoffLimitExceeded"),
        terminating=1,
        failed=2,
        status_column="FailureTarget",
        event=("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
    ),
    "a podFailurePolicy FailJob rule matched": Case(
        job(
            "slow",
            FIRST_INDEX_FAILS_LATER.format(code=42),
            completionMode="Indexed",
            completions=3,
            parallelism=3,
            podFailurePolicy="{rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}",
        ),
        interim=("FailureTarget", "True", "PodFailurePolicy"),
        terminating=2,
        failed=3,
        status_column="FailureTarget",
        event=(
            "Warning",
            "PodFailurePolicy",
            "Container main for pod default/slow-0-{suffix} failed with exit code 42 matching FailJob rule at index 0",
        ),
    ),
    "completions reached once an Indexed Job is scaled down": Case(
        job("slow", FIRST_INDEX_EXITS.format(code=0), completionMode="Indexed", completions=3, parallelism=3),
        patch='{"spec":{"completions":1,"parallelism":1}}',
        interim=("SuccessCriteriaMet", "True", "CompletionsReached"),
        terminating=2,
        failed=0,  # pods deleted as surplus lose their finalizer first: counted neither way
        status_column="Running",
        event=("Normal", "Completed", "Job completed"),
    ),
}


def interim_started(sim: Sim) -> dict:
    """Fast-forward second by second until the Job has its interim condition (at most a minute)."""
    for _ in range(60):
        sim.run(1)
        found = sim.get("jobs", "slow")
        if conditions(found):
            return found
    raise AssertionError("the Job never got a condition")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_terminal_condition_waits_for_the_terminating_pods(cluster, case: Case):
    sim = Sim(cluster)
    sim.apply(case.manifest)
    if case.patch:
        sim.run(5)
        sim.ok(f"patch job slow --type=merge -p '{case.patch}'")
    first = interim_started(sim)
    final_type = {"FailureTarget": "Failed", "SuccessCriteriaMet": "Complete"}[case.interim[0]]

    # the interim condition alone; the deleted pods are still shutting down
    assert conditions(first) == [case.interim]
    status = first["status"]
    assert (status.get("active", 0), status["ready"], status["terminating"]) == (0, 0, case.terminating)
    assert status.get("failed", 0) == case.failed and "completionTime" not in status
    shutting_down = [p for p in sim.pods(prefix="slow-") if p["metadata"].get("deletionTimestamp")]
    assert len(shutting_down) == case.terminating
    assert all("finalizers" not in p["metadata"] for p in shutting_down)  # the Job no longer holds them
    reasons = [reason for _type, reason, _message in sim.events("Job")]
    assert case.event[1] not in reasons and "SuccessfulDelete" in reasons
    assert sim.rows("get job slow")[0][1] == case.status_column

    sim.run(10)  # still terminating: nothing more
    assert conditions(sim.get("jobs", "slow")) == [case.interim]
    assert sim.get("jobs", "slow")["status"]["terminating"] == case.terminating

    sim.run(30)  # the grace period is over: the pods are gone, the Job finished
    done = sim.get("jobs", "slow")
    assert conditions(done) == [case.interim, (final_type, "True", case.interim[2])]
    assert done["status"]["terminating"] == 0
    assert not [p for p in sim.pods(prefix="slow-") if p["metadata"].get("deletionTimestamp")]
    interim, final = done["status"]["conditions"]
    assert final["message"] == interim["message"]
    waited = clock.parse_rfc3339(final["lastTransitionTime"]) - clock.parse_rfc3339(interim["lastTransitionTime"])
    assert 30 <= waited.total_seconds() <= 33  # the 30 s grace period, and the syncs it takes to notice
    if final_type == "Complete":
        assert done["status"]["completionTime"] == final["lastTransitionTime"]
    else:
        assert "completionTime" not in done["status"]
    last = sim.events("Job")[-1]
    suffix = next((p["metadata"]["name"].rsplit("-", 1)[1] for p in sim.pods(prefix="slow-0-")), "")
    assert last == (case.event[0], case.event[1], case.event[2].format(suffix=suffix))
    assert sim.rows("get job slow")[0][1] == final_type


def test_suspending_a_job_deletes_its_pods_without_counting_them_as_failed(cluster):
    """deleteJobPods takes the tracking finalizer off before it deletes: status.terminating counts the pods
    at once, and status.failed never does (a suspended Job's pods did not fail)."""
    sim = Sim(cluster)
    sim.apply(job("slow", SLEEPER, parallelism=2, completions=2))
    sim.run(5)
    sim.ok("""patch job slow --type=merge -p '{"spec":{"suspend":true}}'""")
    sim.run(2)
    suspended = sim.get("jobs", "slow")
    assert conditions(suspended) == [("Suspended", "True", "JobSuspended")]
    status = suspended["status"]
    assert (status.get("active", 0), status["ready"], status["terminating"], status.get("failed", 0)) == (0, 0, 2, 0)
    assert sim.rows("get job slow")[0][1] == "Suspended"
    sim.run(35)
    status = sim.get("jobs", "slow")["status"]
    assert (status["terminating"], status.get("failed", 0), status.get("succeeded", 0)) == (0, 0, 0)
    assert sim.pods(prefix="slow-") == []
