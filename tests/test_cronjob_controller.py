"""The cronjob controller on the cluster's virtual clock, and cron schedules as robfig/cron reads them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cluster import clock, cron
from cluster.apiserver.errors import StatusError
from cluster.controllers.cronjob import job_from_template, job_name
from tests.workload_sim import Sim

UTC = dt.timezone.utc

HELLO = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
"""


def cronjob(name: str, schedule: str, command: str, **spec: object) -> str:
    extra = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return f"""
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
spec:
  schedule: "{schedule}"
{extra}  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: main
            image: busybox:1.36
            command: ["sh", "-c", "{command}"]
          restartPolicy: Never
"""


@pytest.fixture
def sim(cluster) -> Sim:
    return Sim(cluster)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def until_next_minute(sim: Sim) -> float:
    now = sim.api.now()
    return 60 - now.second - now.microsecond / 1e6


def field(described: str, title: str) -> str:
    """The value of one `Title:  value` line of kubectl describe's output."""
    return re.search(rf"^{re.escape(title)}:\s+(.*)$", described, re.M).group(1)


def job_names(sim: Sim, prefix: str) -> list[str]:
    return sorted(
        j["metadata"]["name"]
        for j in sim.api.list("jobs", "default")["items"]
        if j["metadata"]["name"].startswith(prefix)
    )


# -- schedules -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "schedule, after, expected",
    [
        ("* * * * *", "2024-05-01 10:00:30", "2024-05-01 10:01:00"),
        ("*/15 * * * *", "2024-05-01 10:01:00", "2024-05-01 10:15:00"),
        ("0 9 * * mon-fri", "2024-05-03 09:00:00", "2024-05-06 09:00:00"),  # Friday 9:00 → Monday
        ("30 6-16/4 * * *", "2024-05-01 10:31:00", "2024-05-01 14:30:00"),
        ("0 0 1,15 * *", "2024-05-02 00:00:00", "2024-05-15 00:00:00"),
        ("0 0 13 * 5", "2024-05-02 00:00:00", "2024-05-03 00:00:00"),  # day of month OR day of week
        ("@hourly", "2024-05-01 10:00:00", "2024-05-01 11:00:00"),
        ("@weekly", "2024-05-01 10:00:00", "2024-05-05 00:00:00"),
        ("@yearly", "2024-05-01 10:00:00", "2025-01-01 00:00:00"),
        ("5/20 * * * *", "2024-05-01 10:06:00", "2024-05-01 10:25:00"),
    ],
)
def test_next_activation_follows_robfig_cron(schedule, after, expected):
    assert cron.parse_standard(schedule).next(at(after)) == at(expected)


@pytest.mark.parametrize(
    "schedule, message",
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ],
)
def test_bad_schedules_get_robfig_crons_messages(schedule, message):
    with pytest.raises(cron.CronError, match=f"^{re.escape(message)}$"):
        cron.parse_standard(schedule)


def test_a_time_zone_moves_the_schedule():
    seoul = cron.parse_standard("0 9 * * *", cron.load_location("Asia/Seoul"))
    assert seoul.next(at("2024-05-01 00:30:00")) == at("2024-05-02 00:00:00")  # 09:00 KST is 00:00 UTC


def test_jobs_are_named_after_their_scheduled_minute_and_stamped_with_it():
    cronjob_ = {
        "metadata": {"name": "hello", "namespace": "default", "uid": "u"},
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "spec": {"jobTemplate": {"metadata": {"labels": {"a": "b"}}, "spec": {}}},
    }
    scheduled = at("2024-05-01 10:01:00")
    assert job_name(cronjob_, scheduled) == f"hello-{int(scheduled.timestamp()) // 60}" == "hello-28575961"
    job = job_from_template(cronjob_, scheduled, cron.load_location("Asia/Seoul"))
    assert job["metadata"]["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2024-05-01T19:01:00+09:00"
    }
    assert job["metadata"]["labels"] == {"a": "b"}
    assert job["metadata"]["ownerReferences"][0] == {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": "hello",
        "uid": "u",
        "controller": True,
        "blockOwnerDeletion": True,
    }


# -- the controller --------------------------------------------------------------------------
def test_the_hello_cronjob_of_the_documentation_runs_every_minute(sim):
    sim.apply(HELLO)
    sim.run(until_next_minute(sim) + 0.5)
    [first] = job_names(sim, "hello-")
    scheduled = dt.datetime.fromtimestamp(int(first.rsplit("-", 1)[1]) * 60, UTC)
    job = sim.get("jobs", first)
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == scheduled.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    cj = sim.get("cronjobs", "hello")
    assert cj["status"]["lastScheduleTime"] == clock.rfc3339(scheduled)
    assert [ref["name"] for ref in cj["status"]["active"]] == [first]
    row = sim.rows("get cronjob hello")[0]
    assert row[:8] == ["hello", "*", "*", "*", "*", "*", "<none>", "False"] and row[8] == "1"
    sim.run(20)
    cj = sim.get("cronjobs", "hello")
    assert "active" not in cj["status"] and cj["status"]["lastSuccessfulTime"]
    sim.run(240)
    assert len(job_names(sim, "hello-")) == 3  # successfulJobsHistoryLimit
    reasons = [reason for _t, reason, _m in sim.events("CronJob")]
    assert reasons[:2] == ["SuccessfulCreate", "SawCompletedJob"] and "SuccessfulDelete" in reasons
    assert sim.events("CronJob")[0][2] == f"Created job {first}"
    assert sim.events("CronJob")[1][2] == f"Saw completed job: {first}, condition: Complete"
    assert ("Normal", "SuccessfulDelete", f"Deleted job {first}") in sim.events("CronJob")
    assert len(sim.pods(prefix="hello-")) == 3
    described = sim.ok("describe cronjob hello")
    assert field(described, "Schedule") == "* * * * *" and field(described, "Concurrency Policy") == "Allow"
    assert field(described, "Successful Job History Limit") == "3"
    assert field(described, "Active Jobs") == "<none>"


def test_forbid_skips_a_run_while_the_last_one_is_active(sim):
    sim.apply(cronjob("forbid", "* * * * *", "sleep 90", concurrencyPolicy="Forbid"))
    sim.run(until_next_minute(sim) + 65)
    assert len(job_names(sim, "forbid-")) == 1
    assert (
        "Normal",
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
    ) in sim.events("CronJob")


def test_replace_stops_the_running_job_for_the_next_one(sim):
    sim.apply(cronjob("replace", "* * * * *", "sleep 300", concurrencyPolicy="Replace"))
    sim.run(until_next_minute(sim) + 0.5)
    [first] = job_names(sim, "replace-")
    sim.run(60)
    [second] = job_names(sim, "replace-")
    assert second != first
    assert ("Normal", "SuccessfulDelete", f"Deleted job {first}") in sim.events("CronJob")
    assert [ref["name"] for ref in sim.get("cronjobs", "replace")["status"]["active"]] == [second]


def test_allow_runs_jobs_side_by_side(sim):
    sim.apply(cronjob("allow", "* * * * *", "sleep 90"))
    sim.run(until_next_minute(sim) + 60.5)
    assert len(sim.get("cronjobs", "allow")["status"]["active"]) == 2
    assert sim.rows("get cj allow")[0][8] == "2"


def test_a_suspended_cronjob_creates_nothing_and_catches_up_when_resumed(sim):
    sim.apply(cronjob("paused", "* * * * *", "true", suspend="true"))
    sim.run(until_next_minute(sim) + 150)
    assert job_names(sim, "paused-") == []
    assert sim.rows("get cj paused")[0][7] == "True"
    sim.ok("""patch cronjob paused --type=merge -p '{"spec":{"suspend":false}}'""")
    sim.run(1)
    assert len(job_names(sim, "paused-")) == 1  # only the most recent missed time is started


def test_a_start_later_than_starting_deadline_seconds_is_skipped(sim):
    sim.apply(cronjob("late", "* * * * *", "true", suspend="true", startingDeadlineSeconds=10))
    sim.run(until_next_minute(sim) + 30)
    sim.ok("""patch cronjob late --type=merge -p '{"spec":{"suspend":false}}'""")
    sim.run(1)
    assert job_names(sim, "late-") == []  # 30 s late is past the 10 s deadline: that run is left out
    sim.run(40)
    assert len(job_names(sim, "late-")) == 1  # the next minute is on time


def test_failed_jobs_history_limit_keeps_one_failed_job(sim):
    sim.apply(cronjob("broken", "* * * * *", "exit 1", failedJobsHistoryLimit=1))
    text = sim.get("cronjobs", "broken")
    text["spec"]["jobTemplate"]["spec"]["backoffLimit"] = 0
    sim.api.update("cronjobs", "default", "broken", text)
    sim.run(until_next_minute(sim) + 150)
    assert len(job_names(sim, "broken-")) == 1


def test_kubectl_create_cronjob_and_a_job_from_it(sim):
    assert (
        sim.ok("create cronjob tick --image=busybox:1.36 --schedule='*/5 * * * *' -- date")
        == "cronjob.batch/tick created\n"
    )
    tick = sim.get("cronjobs", "tick")
    assert tick["spec"]["jobTemplate"]["metadata"]["name"] == "tick"
    assert tick["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    assert tick["spec"]["concurrencyPolicy"] == "Allow" and tick["spec"]["successfulJobsHistoryLimit"] == 3
    assert sim.ok("create job now --from=cronjob/tick") == "job.batch/now created\n"
    now = sim.get("jobs", "now")
    assert now["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert now["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "tick",
            "uid": tick["metadata"]["uid"],
            "controller": True,
        }
    ]
    sim.run(20)
    assert sim.rows("get job now")[0][:3] == ["now", "Complete", "1/1"]
    assert sim.kubectl("create cronjob x --image=busybox") == (1, "", 'error: required flag(s) "schedule" not set\n')
    assert sim.kubectl("create job y --from=cronjob/nope") == (
        1,
        "",
        'Error from server (NotFound): cronjobs.batch "nope" not found\n',
    )
    header = sim.ok("get cronjobs -o wide").splitlines()[0].split()
    assert header == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]


@pytest.mark.parametrize(
    "spec, message",
    [
        (
            {"schedule": "61 * * * *"},
            'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
        ),
        (
            {"schedule": "TZ=UTC * * * * *"},
            'spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, '
            "use timeZone field "
            "instead",
        ),
        ({"timeZone": "Mars/Olympus"}, 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'),
        (
            {"concurrencyPolicy": "Sometimes"},
            'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
        ),
    ],
)
def test_invalid_cronjobs_are_refused_with_upstreams_message(sim, spec, message):
    body = cronjob("bad", spec.pop("schedule", "* * * * *"), "true", **spec)
    with pytest.raises(StatusError) as refused:
        sim.apply(body)
    assert refused.value.code == 422 and message in refused.value.message


def test_a_cronjob_name_leaves_room_for_the_job_suffix(sim):
    with pytest.raises(StatusError, match="must be no more than 52 characters"):
        sim.apply(cronjob("c" * 53, "* * * * *", "true"))
