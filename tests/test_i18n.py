"""The Korean user interface: the catalog, its compiled form, Korean pages, and particles after names."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from cluster import steps
from cluster.korean import final_consonant, josa, particle
from cluster.korean import format_map as korean_format

LOCALE = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}")
TAG = re.compile(r"</?\w+[^>]*>")


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(LOCALE / "django.po"))


def entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


# -- (a) the catalog ---------------------------------------------------------------------------------------
def test_the_catalog_is_korean_with_one_plural_form(po):
    assert po.metadata["Language"] == "ko"
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not po.metadata_is_fuzzy
    assert len(entries(po)) > 100


def test_every_message_is_translated_and_none_is_fuzzy(po):
    untranslated = [e.msgid for e in entries(po) if any(not s.strip() for s in translations(e))]
    fuzzy = [e.msgid for e in entries(po) if "fuzzy" in e.flags]
    plural_shapes = [e.msgid for e in entries(po) if e.msgid_plural and sorted(e.msgstr_plural) != [0]]
    assert untranslated == [] and fuzzy == [] and plural_shapes == []


def test_every_placeholder_and_tag_is_kept(po):
    wrong = []
    for e in entries(po):
        wanted = sorted(set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or "")))
        tags = sorted(TAG.findall(e.msgid))
        for text in translations(e):
            if sorted(set(PLACEHOLDER.findall(text))) != wanted or sorted(TAG.findall(text)) != tags:
                wrong.append((e.msgid, text))
    assert wrong == []


def test_the_translation_is_korean_where_the_english_is_prose(po):
    hangul = re.compile("[가-힣]")
    kept = [e.msgid for e in entries(po) if not any(hangul.search(s) for s in translations(e))]
    # the phase name with the scheduler's own message, and the resource name as Kubernetes spells it
    assert sorted(kept) == ["Pending: %(message)s", "cpu"]


# -- (b) the compiled catalog ----------------------------------------------------------------------------------
def _table(catalog: polib._BaseFile) -> dict:
    return {
        (e.msgid, e.msgid_plural or ""): tuple(translations(e))
        for e in catalog
        if e.msgid and not getattr(e, "obsolete", False)
    }


def test_the_compiled_catalog_matches_the_po_file(po, tmp_path):
    compiled = polib.mofile(str(LOCALE / "django.mo"))
    assert _table(compiled) == _table(po), "run: manage.py compilemessages -l ko --ignore=.venv"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    assert _table(polib.mofile(str(fresh))) == _table(compiled)


def test_django_loads_the_korean_catalog(po):
    with translation.override("ko"):
        for e in entries(po):
            if e.msgid_plural:
                assert translation.ngettext(e.msgid, e.msgid_plural, 3) == e.msgstr_plural[0]
            else:
                assert translation.gettext(e.msgid) == e.msgstr
    with translation.override("en"):
        assert translation.gettext("Lessons") == "Lessons"


# -- (c) Korean pages ------------------------------------------------------------------------------------------
class _VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes and the title/alt/placeholder/aria-label attributes."""

    ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "option"):  # lesson titles in <option> are lesson data, not UI strings
            self._skip += 1
        self.chunks += [v for k, v in attrs if k in self.ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "option"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.chunks


ENGLISH_ON_HOME_AND_LESSONS = [
    "Kubernetes, simulated in your browser",
    "Type kubectl commands",
    "one hop at a time",
    "Learn",
    "Lessons with steps",
    "Browse the lessons",
    "Empty sandbox",
    "Join a class",
    "Class code",
    "Your name",
    "Join",
    "Teach a class",
    "Start with lesson",
    "Start a class",
    "Your clusters",
    "None yet",
    "nobody else can open it",
    "Language",
    "Change",
    "Lessons",
    "Each lesson starts a sandbox",
    "Steps check your work",
    "predict what the cluster will do",
    "steps",
    "step",
    "Start",
    "Continue",
    "Start over",
    "Finished",
    "Open",
    "revision",
    "Reset",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/lessons/"])
def test_a_korean_page_shows_no_english_ui_string(url):
    client = Client(headers={"Accept-Language": "ko"})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ko">' in html
    text = "\n".join(visible(html))
    found = [s for s in ENGLISH_ON_HOME_AND_LESSONS if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]
    assert found == []
    assert ("레슨" in text) and ("수업" in text if url == "/" else "단계" in text)


@pytest.mark.django_db
def test_no_translated_english_string_is_left_on_the_korean_dashboard(po):
    """Every msgid the dashboard uses shows in Korean (hard-coded English is not in the catalog to check)."""
    client = Client(headers={"Accept-Language": "ko"})
    response = client.post("/sandboxes/new", follow=True)
    assert response.status_code == 200
    chunks = visible(response.content.decode())
    text = "\n".join(chunks)
    plain = [
        e.msgid for e in entries(po) if not e.msgid_plural and not PLACEHOLDER.search(e.msgid) and e.msgstr != e.msgid
    ]  # "cpu" is spelled the same in both: Kubernetes' resource name
    shown = [m for m in plain if m in chunks or (len(m.split()) >= 3 and m in text)]
    assert shown == []


# -- (d) particles after names -------------------------------------------------------------------------------
# name, the 받침 a Korean reader hears, then the particles it takes
NAMES = [
    ("kube-apiserver", "", "가", "를", "로"),  # 서버
    ("etcd", "", "가", "를", "로"),  # 엣시디: an initialism, its last letter 디
    ("kubelet", "ㅅ", "이", "을", "으로"),  # 큐블릿
    ("kubelet/worker-1", "ㄹ", "이", "을", "로"),  # 일: ㄹ takes 로
    ("kube-scheduler", "", "가", "를", "로"),
    ("default-scheduler", "", "가", "를", "로"),
    ("deployment-controller", "", "가", "를", "로"),
    ("replicaset-controller", "", "가", "를", "로"),
    ("pods/default/web-5c9f", "", "가", "를", "로"),  # f 에프
    ("nodes/worker-3", "ㅁ", "이", "을", "으로"),  # 삼
    ("containerd", "", "가", "를", "로"),  # 컨테이너디
    ("kube-proxy", "", "가", "를", "로"),  # 프록시
    ("kubectl", "ㄹ", "이", "을", "로"),  # 큐브컨트롤
    ("nginx", "", "가", "를", "로"),  # 엔진엑스
    ("web", "ㅂ", "이", "을", "으로"),  # 웹
    ("deployments/default/web", "ㅂ", "이", "을", "으로"),
    ("/registry/configmaps/default/cm", "ㅁ", "이", "을", "으로"),  # 씨엠
    ("pods/default/web-5c9f/binding", "ㅇ", "이", "을", "으로"),  # 바인딩
    ("replicasets/default/web-7d4b9c", "", "가", "를", "로"),  # c 씨
    ("dashboard", "", "가", "를", "로"),  # 대시보드
    ("lesson-check", "", "가", "를", "로"),  # 체크
    ("client", "", "가", "를", "로"),  # 클라이언트
    ("kubeadm", "ㅁ", "이", "을", "으로"),
    ("control-plane", "ㄴ", "이", "을", "으로"),  # 플레인
    ("ReplicaSet", "ㅅ", "이", "을", "으로"),  # 레플리카셋
    ("Deployment", "", "가", "를", "로"),
    ("PersistentVolumeClaim", "ㅁ", "이", "을", "으로"),
    ("KUBE-SVC", "", "가", "를", "로"),  # 씨
    ("nginx:1.27", "ㄹ", "이", "을", "로"),  # 이십칠
    ("10.244.1.5:80", "ㅂ", "이", "을", "으로"),  # 팔십
    ("42", "", "가", "를", "로"),  # 사십이
    ("10", "ㅂ", "이", "을", "으로"),  # 십
    ("100", "ㄱ", "이", "을", "으로"),  # 백
    ("1000", "ㄴ", "이", "을", "으로"),  # 천
    ("0", "ㅇ", "이", "을", "으로"),  # 영
    ("6", "ㄱ", "이", "을", "으로"),  # 육
    ("007", "ㄹ", "이", "을", "로"),  # 영영칠
    ("포드", "", "가", "를", "로"),
    ("레슨", "ㄴ", "이", "을", "으로"),
    ("서울", "ㄹ", "이", "을", "로"),
    ("web-1)", "ㄹ", "이", "을", "로"),  # closing punctuation is not read
]


@pytest.mark.parametrize("name, final, subject, object_, toward", NAMES)
def test_particles_after_real_names(name, final, subject, object_, toward):
    assert final_consonant(name) == final
    assert particle(name, "이/가") == subject
    assert particle(name, "을/를") == object_
    assert particle(name, "으로/로") == toward
    assert particle(name, "은/는") == ("은" if final else "는")
    assert particle(name, "과/와") == ("과" if final else "와")
    assert josa(name, "가/이") == name + subject  # either order of the pair


@pytest.mark.parametrize("name", ["", "…", "→", "日本"])
def test_an_undecidable_ending_writes_both_shapes(name):
    assert final_consonant(name) is None
    assert [particle(name, p) for p in ("이/가", "을/를", "은/는", "으로/로")] == [
        "이(가)",
        "을(를)",
        "은(는)",
        "(으)로",
    ]


def test_a_format_field_may_carry_a_particle_pair():
    text = korean_format(
        "{source:이/가} {object:을/를} {n}개 {node:으로/로} 보냅니다.",
        {"source": "kubelet/worker-1", "object": "web", "n": 3, "node": "worker-2"},
    )
    assert text == "kubelet/worker-1이 web을 3개 worker-2로 보냅니다."
    assert korean_format("{revision:이/가} {width:>4}", {"revision": 42, "width": "x"}) == "42가    x"


def test_the_korean_step_messages_choose_their_particles():
    fields = re.compile(r"\{(\w+)(?::([^}]*))?\}")
    for message_id, (english, korean) in steps.MESSAGES.items():
        assert not re.search(r"\((이|가|을|를|은|는|과|와|으)\)", korean), message_id  # no 이(가)-style left
        assert {f for f, _ in fields.findall(korean)} == {f for f, _ in fields.findall(english)}, message_id
        for _field, spec in fields.findall(korean):
            assert not spec or spec in ("이/가", "을/를", "은/는", "과/와", "으로/로"), message_id


@pytest.mark.django_db
def test_a_step_reads_naturally_in_korean(cluster, api):
    from cluster.reconciler import control

    before = control.last_seq(cluster)
    created = api.create(
        "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}
    )
    request, write = steps.since(cluster, before, lang="ko")[:2]
    revision = created["metadata"]["resourceVersion"]
    assert request["explanation"] == (
        "test가 kube-apiserver에 configmaps/default/web 생성을 요청합니다. "
        "요청은 먼저 인증, 기본값 적용, 어드미션, 검증을 거칩니다."
    )
    assert write["explanation"] == (
        f"kube-apiserver가 /registry/configmaps/default/web을 etcd에 저장합니다. "
        f"클러스터의 리비전은 {josa(revision, '이/가')} 됩니다."
    )
    english = steps.since(cluster, before)[0]["explanation"]
    assert english.startswith("test asks kube-apiserver to create configmaps/default/web;")


# -- (d) the catalogue covers the source -------------------------------------------------------------------------
XGETTEXT = [
    "xgettext",
    "--language=Python",
    "--from-code=UTF-8",
    "--output=-",
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]


def _source_messages(tmp_path: Path) -> set[tuple[str, str]]:
    """Every message the templates and the web code mark for translation, found as makemessages finds them."""
    import shutil
    import subprocess

    from django.utils.translation.template import templatize

    if not shutil.which("xgettext"):
        pytest.fail("xgettext (Debian's gettext) is needed to compare the catalogue with the source")
    root = Path(settings.BASE_DIR)
    files = []
    for index, template in enumerate(sorted((root / "templates").rglob("*.html"))):
        target = tmp_path / f"t{index}.py"
        target.write_text(templatize(template.read_text(), origin=str(template)))
        files.append(str(target))
    files += [str(p) for p in sorted((root / "web").rglob("*.py")) if "migrations" not in p.parts]
    files += [str(p) for p in sorted((root / "cluster").rglob("*.py"))]
    out = subprocess.run([*XGETTEXT, *files], check=True, capture_output=True, text=True).stdout
    return {(e.msgid, e.msgid_plural or "") for e in polib.pofile(out) if e.msgid}


def test_every_marked_message_has_a_korean_translation(po, tmp_path):
    catalogued = {(e.msgid, e.msgid_plural or "") for e in entries(po)}
    missing = sorted(_source_messages(tmp_path) - catalogued)
    assert missing == [], "run: manage.py makemessages -l ko --ignore=.venv, translate, then compilemessages"
