"""Step explanations for the workload controllers' requests: Job, CronJob, TTL-after-finished,
DaemonSet, StatefulSet and their ControllerRevisions.

A controller calls `steps.because(api, message_id, **params)` right before a
request; the request's step then says why it was sent instead of the generic
"asks kube-apiserver to create …" (catalogue.py). Each message has the
request's `{source}` and `{object}` and the parameters given; English first,
then Korean with its particles chosen at run time (cluster/korean.py).

Simplified: the reasons are kubeclass's summary of each controller's decision,
not upstream's log lines or event messages.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "request.job.create": (
        "{source} creates {object}: the Job wants {want} pod(s) running and has {have}.",
        "{source:이/가} {object:을/를} 만듭니다. Job에는 실행 중인 포드가 {want}개 필요한데 지금은 {have}개입니다.",
    ),
    "request.job.index": (
        "{source} creates {object} for completion index {index} of the Indexed Job; the pod reads it as "
        "JOB_COMPLETION_INDEX.",
        "{source:이/가} 인덱스 Job의 완료 인덱스 {index}번을 맡을 {object:을/를} 만듭니다. 포드는 이 번호를 "
        "JOB_COMPLETION_INDEX로 읽습니다.",
    ),
    "request.job.finalizer": (
        "{source} removes the batch.kubernetes.io/job-tracking finalizer from {object}: the pod has ended "
        "({outcome}) and is counted in the Job's status.",
        "{source:이/가} {object}에서 batch.kubernetes.io/job-tracking 파이널라이저를 뗍니다. 포드가 끝났고"
        "({outcome}) 이제 Job 상태에 집계됩니다.",
    ),
    "request.job.condition": (
        "{source} writes the status of {object} with the condition {condition} ({reason}).",
        "{source:이/가} {object}의 상태에 {condition} 조건({reason})을 씁니다.",
    ),
    "request.ttl.delete": (
        "{source} deletes {object}: it finished more than ttlSecondsAfterFinished ({ttl}s) ago. Its pods go "
        "first (foreground deletion).",
        "{source:이/가} {object:을/를} 삭제합니다. 끝난 지 ttlSecondsAfterFinished({ttl}초)가 지났습니다. "
        "포드가 먼저 지워집니다(포그라운드 삭제).",
    ),
    "request.cronjob.create": (
        '{source} creates {object}: the schedule "{schedule}" was due at {time}. The name carries that time in '
        "minutes, so the Job is made only once.",
        '{source:이/가} {object:을/를} 만듭니다. 스케줄 "{schedule}"에 따라 {time}에 실행할 차례입니다. '
        "이름에 그 시각(분 단위)이 들어 있어 Job은 한 번만 만들어집니다.",
    ),
    "request.cronjob.history": (
        "{source} deletes {object}: a CronJob keeps only successfulJobsHistoryLimit finished Jobs "
        "(failedJobsHistoryLimit failed ones).",
        "{source:이/가} {object:을/를} 삭제합니다. CronJob은 끝난 Job을 successfulJobsHistoryLimit개만"
        "(실패한 Job은 failedJobsHistoryLimit개만) 남깁니다.",
    ),
    "request.cronjob.replace": (
        "{source} deletes {object}: with concurrencyPolicy Replace the running Job stops before the next one starts.",
        "{source:이/가} {object:을/를} 삭제합니다. concurrencyPolicy가 Replace이면 다음 Job을 시작하기 전에 "
        "실행 중인 Job을 멈춥니다.",
    ),
    "request.daemonset.create": (
        "{source} creates {object} for node {node}: DaemonSet {owner} runs one pod on every node it fits, "
        "and this node has none yet.",
        "{source:이/가} 노드 {node}에 둘 {object:을/를} 만듭니다. DaemonSet {owner:은/는} 조건에 맞는 모든 "
        "노드에 포드를 하나씩 두는데, 이 노드에는 아직 없습니다.",
    ),
    "request.daemonset.delete": (
        "{source} deletes {object} on {node}: the node no longer fits the DaemonSet, has one pod too many, "
        "or the pod has ended.",
        "{source:이/가} {node}의 {object:을/를} 삭제합니다. 노드가 DaemonSet 조건에 더는 맞지 않거나, "
        "포드가 하나 더 있거나, 포드가 끝났습니다.",
    ),
    "request.daemonset.update": (
        "{source} deletes {object} on {node} so that a pod of the new template takes its place (a rolling "
        "update, within maxUnavailable).",
        "{source:이/가} 새 템플릿의 포드가 자리를 잇도록 {node}의 {object:을/를} 삭제합니다(롤링 업데이트, "
        "maxUnavailable 범위 안에서).",
    ),
    "request.revision.create": (
        "{source} records the pod template as {object}, revision {revision}; kubectl rollout history and undo "
        "read these.",
        "{source:이/가} 포드 템플릿을 {object:으로/로} 기록합니다(리비전 {revision}). kubectl rollout "
        "history와 undo가 이것을 읽습니다.",
    ),
    "request.revision.renumber": (
        "{source} makes {object} the newest revision ({revision}): the template is back to what it recorded "
        "(a rollback).",
        "{source:이/가} {object:을/를} 가장 새 리비전({revision})으로 올립니다. 템플릿이 그때 기록한 모습으로 "
        "돌아왔습니다(롤백).",
    ),
    "request.statefulset.claim": (
        "{source} creates {object} for pod {pod} from a volumeClaimTemplate. The claim stays when the pod "
        "goes, so a pod made again under that name finds its data.",
        "{source:이/가} volumeClaimTemplate으로 포드 {pod}의 {object:을/를} 만듭니다. 포드가 없어져도 "
        "클레임은 남으므로 같은 이름으로 다시 만든 포드가 그 데이터를 찾습니다.",
    ),
    "request.statefulset.create": (
        "{source} creates {object} (ordinal {ordinal}) with its stable name, hostname and claims.",
        "{source:이/가} {object:을/를} 만듭니다(순번 {ordinal}). 이름, 호스트 이름, 클레임이 늘 같습니다.",
    ),
    "request.statefulset.recreate": (
        "{source} deletes {object} (ordinal {ordinal}) because it has ended; it is made again under the same name.",
        "{source:이/가} 끝나 버린 {object:을/를} 삭제합니다(순번 {ordinal}). 같은 이름으로 다시 만듭니다.",
    ),
    "request.statefulset.scaledown": (
        "{source} deletes {object}: ordinal {ordinal} is beyond the replica count, and a StatefulSet scales "
        "down from its highest ordinal.",
        "{source:이/가} {object:을/를} 삭제합니다. 순번 {ordinal:은/는} 레플리카 수를 넘고, StatefulSet은 "
        "가장 높은 순번부터 줄입니다.",
    ),
    "request.statefulset.update": (
        "{source} deletes {object} (ordinal {ordinal}) to make it again from the new template: a rolling "
        "update goes from the highest ordinal down to the partition.",
        "{source:이/가} 새 템플릿으로 다시 만들려고 {object:을/를} 삭제합니다(순번 {ordinal}). 롤링 "
        "업데이트는 가장 높은 순번부터 partition까지 내려갑니다.",
    ),
}
