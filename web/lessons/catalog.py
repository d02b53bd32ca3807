"""The lessons, in the order of the study notes, in English and Korean.

Where the notes simplify, the lesson says what Kubernetes really does: there is
no "master-slave" wiring (the control plane and the nodes only ever talk
through kube-apiserver), only kube-apiserver talks to etcd, and no component
orders another around — each one watches the API server and acts on what it
sees.
"""
from __future__ import annotations

from dataclasses import dataclass

from web.lessons import checks


@dataclass(frozen=True)
class Lesson:
    slug: str
    title_en: str
    title_ko: str
    body_en: str
    body_ko: str
    try_commands: tuple[str, ...] = ()
    check: checks.Check | None = None


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "why-containers", "Monoliths, microservices and containers", "모놀리식, 마이크로서비스, 그리고 컨테이너",
        "A monolith ships every feature as one program: one change means rebuilding and redeploying the whole. "
        "Microservices split the application into small services, each owning one job and talking to the others "
        "over the network, so each can be released and scaled on its own. Containers package one service with "
        "exactly what it needs, so it runs the same on a laptop and in a data centre. Running hundreds of them by "
        "hand is the problem Kubernetes solves: you describe what should run, and it keeps it running.",
        "모놀리식 애플리케이션은 모든 기능을 하나의 프로그램으로 배포하므로 작은 변경에도 전체를 다시 빌드하고 배포해야 합니다. "
        "마이크로서비스는 애플리케이션을 작은 서비스들로 나누고, 각 서비스는 하나의 일을 맡아 네트워크로 서로 통신하므로 "
        "따로 배포하고 따로 확장할 수 있습니다. 컨테이너는 서비스 하나와 그 실행에 필요한 것만 묶어서 노트북에서도 데이터센터에서도 "
        "똑같이 동작하게 합니다. 수백 개의 컨테이너를 사람이 직접 관리하기는 어렵습니다. 쿠버네티스는 무엇이 실행되어야 하는지 "
        "선언하면 그 상태를 계속 유지해 주는 컨테이너 오케스트레이터입니다.",
        ("kubectl get nodes", "kubectl get namespaces"), checks.nodes_ready,
    ),
    Lesson(
        "components", "The control plane and the worker nodes", "컨트롤 플레인과 워커 노드",
        "The control plane is kube-apiserver, etcd, kube-controller-manager and kube-scheduler. Every worker node "
        "runs a kubelet, a container runtime (containerd here) and kube-proxy. Notes often call this "
        "'master-slave', but nothing is pushed from the master: kube-apiserver is the only component that reads "
        "or writes etcd, and every other component — controllers, scheduler, kubelets, and your kubectl — is a "
        "client of the API server that watches for changes and writes back its own results. Open the etcd tab to "
        "see the keys the API server keeps under /registry.",
        "컨트롤 플레인은 kube-apiserver, etcd, kube-controller-manager, kube-scheduler로 이루어지고, 각 워커 노드에서는 "
        "kubelet, 컨테이너 런타임(여기서는 containerd), kube-proxy가 실행됩니다. 흔히 '마스터-슬레이브'라고 부르지만 실제로 "
        "마스터가 노드에 명령을 내려보내지는 않습니다. etcd를 직접 읽고 쓰는 것은 kube-apiserver 하나뿐이고, 컨트롤러·스케줄러·"
        "kubelet·kubectl은 모두 API 서버의 클라이언트로서 변경을 watch하고 자신의 결과를 API 서버에 기록합니다. etcd 탭에서 "
        "API 서버가 /registry 아래에 저장한 키를 직접 확인해 보세요.",
        ("kubectl get nodes -o wide", "kubectl api-resources"), checks.nodes_ready,
    ),
    Lesson(
        "pod-lifecycle", "A Deployment, hop by hop", "디플로이먼트가 만들어지는 과정",
        "Turn on step mode, then create a Deployment. kubectl sends it to kube-apiserver, which validates it, "
        "fills in defaults and writes it to etcd. The deployment controller sees it through its watch and asks the "
        "API server for a ReplicaSet; the replicaset controller asks for three Pods. Those Pods have no node yet: "
        "the scheduler, watching for unscheduled Pods, filters and scores the nodes and writes a Binding. The "
        "kubelet of that node sees a Pod bound to it and asks the container runtime to start the sandbox and the "
        "containers, then reports the status back. No component calls another directly: every arrow goes "
        "through kube-apiserver.",
        "스텝 모드를 켜고 디플로이먼트를 만들어 보세요. kubectl은 요청을 kube-apiserver에 보내고, API 서버는 검증과 기본값 "
        "설정을 거쳐 etcd에 기록합니다. 디플로이먼트 컨트롤러는 watch로 이를 보고 API 서버에 레플리카셋 생성을 요청하고, "
        "레플리카셋 컨트롤러는 포드 3개를 요청합니다. 이 포드들에는 아직 노드가 없습니다. 스케줄러는 노드를 필터링하고 점수를 "
        "매긴 뒤 Binding을 기록합니다. 해당 노드의 kubelet은 자신에게 배정된 포드를 보고 컨테이너 런타임에 샌드박스와 컨테이너 "
        "실행을 요청한 뒤 상태를 보고합니다. 어떤 구성 요소도 다른 구성 요소를 직접 호출하지 않고, 모든 화살표는 API 서버를 거칩니다.",
        ("kubectl create deployment web --image=nginx --replicas=3", "kubectl get deploy,rs,pods -o wide",
         "kubectl describe pod"), checks.deployment_web_ready,
    ),
    Lesson(
        "declarative", "Declarative, not step by step", "절차적이 아닌 선언적 구조",
        "You never told Kubernetes to start three containers; you declared that three replicas should exist. Each "
        "controller compares the desired state in spec with the actual state and closes the gap, again and again. "
        "Delete a Pod and watch: the ReplicaSet sees two where it wants three and asks for a new one. This is "
        "also how failure recovery works: nothing special happens on a failure, the same loop simply notices the "
        "difference.",
        "우리는 쿠버네티스에게 컨테이너 3개를 실행하라고 명령한 적이 없습니다. 복제본 3개가 있어야 한다고 선언했을 뿐입니다. "
        "각 컨트롤러는 spec에 선언된 원하는 상태와 실제 상태를 비교하고 그 차이를 계속 메웁니다. 포드 하나를 지워 보세요. "
        "레플리카셋은 3개를 원하는데 2개뿐인 것을 보고 새 포드를 요청합니다. 오류 복구도 같은 원리입니다. 장애가 났다고 특별한 "
        "일이 일어나는 것이 아니라, 같은 루프가 차이를 발견할 뿐입니다.",
        ("kubectl delete pod -l app=web --wait=false", "kubectl get pods -w"), checks.replaced_after_delete,
    ),
    Lesson(
        "objects", "Pods, Namespaces, Volumes and Services", "포드, 네임스페이스, 볼륨, 서비스",
        "A Pod is one or more containers that share a network identity (one IP) and volumes; Pods are disposable "
        "and are replaced, not repaired. A Namespace groups objects and scopes their names. A Volume gives the "
        "containers of a Pod a directory; a PersistentVolumeClaim asks for storage that outlives the Pod. A "
        "Service gives a changing set of Pods one stable address. A Deployment manages ReplicaSets, and each "
        "ReplicaSet keeps a number of identical Pods running.",
        "포드는 네트워크 정체성(IP 하나)과 볼륨을 공유하는 하나 이상의 컨테이너 묶음입니다. 포드는 언제든 사라질 수 있으며 "
        "고쳐 쓰는 것이 아니라 교체됩니다. 네임스페이스는 오브젝트를 묶고 이름의 범위를 나눕니다. 볼륨은 포드의 컨테이너에 "
        "디렉터리를 제공하고, PersistentVolumeClaim은 포드보다 오래 남는 스토리지를 요청합니다. 서비스는 계속 바뀌는 포드 집합에 "
        "안정적인 주소 하나를 줍니다. 디플로이먼트는 레플리카셋을 관리하고, 레플리카셋은 같은 포드를 정해진 수만큼 유지합니다.",
        ("kubectl create namespace team-a", "kubectl get ns", "kubectl explain pod.spec.volumes"),
        checks.namespace_exists,
    ),
    Lesson(
        "services", "Load balancing and service discovery", "로드 밸런싱과 서비스 디스커버리",
        "Expose the Deployment as a Service. The endpoints controller lists the ready Pods behind it, and "
        "kube-proxy on every node spreads connections to the Service's virtual IP over those Pods at random. "
        "Cluster DNS gives the Service a name, web.default.svc.cluster.local, so other Pods find it without "
        "knowing any Pod IP. A Pod that is not ready is taken out of the endpoints and gets no traffic.",
        "디플로이먼트를 서비스로 노출해 보세요. 엔드포인트 컨트롤러는 서비스 뒤의 준비된(Ready) 포드 목록을 만들고, 각 노드의 "
        "kube-proxy는 서비스의 가상 IP로 들어오는 연결을 그 포드들에 무작위로 분산합니다. 클러스터 DNS는 서비스에 "
        "web.default.svc.cluster.local 같은 이름을 주므로 다른 포드는 포드 IP를 몰라도 서비스를 찾을 수 있습니다. 준비되지 않은 "
        "포드는 엔드포인트에서 빠지고 트래픽을 받지 않습니다.",
        ("kubectl expose deployment web --port=80", "kubectl get svc,ep", "kubectl describe svc web"),
        checks.service_web_has_endpoints,
    ),
    Lesson(
        "scaling", "Scaling by hand and automatically", "수동 확장과 자동 확장",
        "kubectl scale changes spec.replicas through the scale subresource; the controllers do the rest. A "
        "HorizontalPodAutoscaler does the same on its own: every 15 seconds it compares the Pods' CPU use with "
        "their requests and sets replicas to ceil(current × usage / target), ignoring changes within 10 %, and it "
        "waits five minutes of lower load before scaling down so a short dip does not remove Pods.",
        "kubectl scale은 scale 하위 리소스를 통해 spec.replicas를 바꾸고, 나머지는 컨트롤러가 처리합니다. "
        "HorizontalPodAutoscaler는 이를 자동으로 합니다. 15초마다 포드의 CPU 사용량을 요청량(request)과 비교해 "
        "ceil(현재 복제본 수 × 사용률 / 목표)로 복제본 수를 정하고, 10% 이내의 차이는 무시하며, 잠깐 부하가 줄었다고 포드를 "
        "지우지 않도록 5분 동안 낮은 부하가 이어져야 축소합니다.",
        ("kubectl scale deployment web --replicas=5", "kubectl get rs"), checks.deployment_web_scaled,
    ),
    Lesson(
        "rolling-update", "Rolling updates and rollbacks", "롤링 업데이트와 롤백",
        "Change the image and the deployment controller creates a new ReplicaSet, then moves Pods over a few at a "
        "time: never more than replicas + maxSurge Pods (25 %, rounded up) and never fewer than replicas − "
        "maxUnavailable available (25 %, rounded down). If the new image cannot be pulled the rollout stalls "
        "while the old Pods keep serving; kubectl rollout undo brings the previous template back.",
        "이미지를 바꾸면 디플로이먼트 컨트롤러가 새 레플리카셋을 만들고 포드를 조금씩 옮깁니다. 포드 수는 replicas + maxSurge"
        "(25%, 올림)를 넘지 않고, 사용 가능한 포드는 replicas − maxUnavailable(25%, 내림) 아래로 내려가지 않습니다. 새 이미지를 "
        "받을 수 없으면 롤아웃은 멈추고 기존 포드가 계속 서비스합니다. kubectl rollout undo로 이전 템플릿으로 되돌릴 수 있습니다.",
        ("kubectl set image deployment/web nginx=nginx:1.27", "kubectl rollout status deployment/web",
         "kubectl rollout history deployment/web"), checks.web_image_updated,
    ),
    Lesson(
        "storage", "Storage orchestration", "스토리지 오케스트레이션",
        "A PersistentVolumeClaim asks for a size and an access mode. The default StorageClass here, like kind's, "
        "binds only when a Pod that uses the claim is scheduled (WaitForFirstConsumer), so the volume is created "
        "on the node where the Pod will run. The PV controller binds the claim to that volume, and only then can "
        "the kubelet start the Pod.",
        "PersistentVolumeClaim은 용량과 접근 모드를 요청합니다. 이 클러스터의 기본 StorageClass는 kind와 같이, 그 클레임을 "
        "쓰는 포드가 스케줄될 때 바인딩합니다(WaitForFirstConsumer). 그래서 볼륨은 포드가 실행될 노드에 만들어집니다. PV "
        "컨트롤러가 클레임을 볼륨에 바인딩한 뒤에야 kubelet이 포드를 시작할 수 있습니다.",
        ("kubectl get sc", "kubectl get pvc,pv"), checks.pvc_bound,
    ),
    Lesson(
        "where-clusters-run", "Where clusters run", "클러스터는 어디에서 실행되나",
        "Locally, kubeadm, kind, minikube or Docker Desktop build a cluster for development and tests. Public "
        "clouds run the control plane for you: Amazon EKS, Google GKE, Azure AKS. On-premises, distributions such "
        "as SUSE Rancher and Red Hat OpenShift install and operate it. Everywhere, the API is the same one you "
        "used here: point your own kubectl at this cluster with the command at the bottom of the page.",
        "로컬에서는 kubeadm, kind, minikube, Docker Desktop으로 개발·테스트용 클러스터를 만들 수 있습니다. 퍼블릭 클라우드는 "
        "컨트롤 플레인을 대신 운영해 줍니다(Amazon EKS, Google GKE, Azure AKS). 온프레미스에서는 SUSE Rancher, Red Hat "
        "OpenShift 같은 배포판으로 설치·운영합니다. 어디서든 API는 여기서 쓴 것과 같습니다. 페이지 아래의 명령으로 여러분의 "
        "kubectl을 이 클러스터에 연결해 보세요.",
        ("kubectl version", "kubectl get all -A"), None,
    ),
)


def by_slug(slug: str) -> Lesson | None:
    return next((lesson for lesson in LESSONS if lesson.slug == slug), None)
