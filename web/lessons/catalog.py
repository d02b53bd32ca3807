"""The lessons, read from data: one folder per lesson under `lessons/`.

    lessons/<slug>/lesson.yaml   what does not depend on the language: order, the
                                 starting scenario, the steps' commands, checks
                                 and predictions
    lessons/<slug>/en.yaml       the English words: title, summary, explanation,
    lessons/<slug>/ko.yaml       and per step an instruction, a hint, a question
    lessons/<slug>/*.svg         the illustration (drawn for kubeclass, no external assets)

A check and a prediction's measure name an entry of web/lessons/checks.py or
web/lessons/measures.py with its arguments; loading fails loudly when a lesson
names one that does not exist or a language file lacks a step, so a broken
lesson never reaches a class.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from web.lessons import checks, measures

LANGUAGES = ("en", "ko")
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})


class LessonError(ValueError):
    """A lesson's files contradict each other or name an unknown check."""


@dataclass(frozen=True)
class Text:
    """One step's words in one language."""

    title: str
    instruction: SafeString
    hint: SafeString
    question: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # value → label
    explain: SafeString = mark_safe("")


@dataclass(frozen=True)
class Prediction:
    measure: measures.Spec
    choices: tuple[str, ...] | None  # None: the cluster's nodes are the choices


@dataclass(frozen=True)
class Step:
    id: str
    commands: tuple[str, ...]
    check: checks.Spec
    predict: Prediction | None
    stdin: str  # YAML the first command reads (`kubectl apply -f -`)
    texts: dict[str, Text]

    def text(self, language: str) -> Text:
        return self.texts.get(language) or self.texts["en"]


@dataclass(frozen=True)
class Scenario:
    nodes: tuple[dict, ...]  # name, cpu, memory, pods, labels, taints
    manifests: str
    settle: bool
    step_mode: bool


@dataclass(frozen=True)
class Words:
    title: str
    summary: str
    explanation: SafeString
    illustration_alt: str


@dataclass(frozen=True)
class Lesson:
    slug: str
    order: int
    scenario: Scenario
    steps: tuple[Step, ...]
    illustration: dict[str, SafeString]  # language → inline SVG
    words: dict[str, Words]

    def title(self, language: str) -> str:
        return self.in_language(language).title

    def in_language(self, language: str) -> Words:
        return self.words.get(language) or self.words["en"]

    def svg(self, language: str) -> SafeString:
        return self.illustration.get(language) or self.illustration.get("en") or mark_safe("")

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


def render_markdown(text: str) -> SafeString:
    return mark_safe(_markdown.render(text or ""))  # noqa: S308 - raw HTML is disabled in the renderer


def lessons_dir() -> Path:
    return Path(settings.KUBECLASS_LESSONS_DIR)


@functools.lru_cache(maxsize=1)
def all_lessons() -> tuple[Lesson, ...]:
    found = [load(folder) for folder in sorted(lessons_dir().iterdir()) if (folder / "lesson.yaml").exists()]
    return tuple(sorted(found, key=lambda lesson: lesson.order))


def by_slug(slug: str) -> Lesson | None:
    return next((lesson for lesson in all_lessons() if lesson.slug == slug), None)


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    ordered = all_lessons()
    index = ordered.index(lesson)
    return (ordered[index - 1] if index else None, ordered[index + 1] if index + 1 < len(ordered) else None)


# -- loading ----------------------------------------------------------------------
def _read(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LessonError(f"{path}: expected a mapping")
    return data


def load(folder: Path) -> Lesson:
    spec = _read(folder / "lesson.yaml")
    languages = {lang: _read(folder / f"{lang}.yaml") for lang in LANGUAGES if (folder / f"{lang}.yaml").exists()}
    if "en" not in languages:
        raise LessonError(f"{folder}: en.yaml is missing")
    steps = tuple(_step(folder, raw, languages) for raw in spec.get("steps") or [])
    if not steps:
        raise LessonError(f"{folder}: a lesson needs at least one step")
    words = {
        lang: Words(
            str(data["title"]),
            str(data.get("summary", "")),
            render_markdown(str(data.get("explanation", ""))),
            str(data.get("illustration_alt", "")),
        )
        for lang, data in languages.items()
    }
    return Lesson(
        slug=folder.name,
        order=int(spec.get("order", 999)),
        scenario=_scenario(spec.get("scenario") or {}),
        steps=steps,
        illustration=_illustrations(folder, spec, languages),
        words=words,
    )


def _illustrations(folder: Path, spec: dict, languages: dict[str, dict]) -> dict[str, SafeString]:
    found = {}
    for lang, data in languages.items():
        name = data.get("illustration") or spec.get("illustration")
        if name:
            found[lang] = mark_safe((folder / str(name)).read_text(encoding="utf-8"))  # noqa: S308 - our own file
    return found


def _scenario(raw: dict) -> Scenario:
    nodes = raw.get("nodes", 3)
    if isinstance(nodes, int):
        nodes = [{"name": f"worker-{i}"} for i in range(1, nodes + 1)]
    return Scenario(
        nodes=tuple(dict(n) for n in nodes),
        manifests=str(raw.get("manifests") or ""),
        settle=bool(raw.get("settle", True)),
        step_mode=bool(raw.get("step_mode", False)),
    )


def _step(folder: Path, raw: dict, languages: dict[str, dict]) -> Step:
    step_id = str(raw["id"])
    texts = {}
    for lang, data in languages.items():
        words = (data.get("steps") or {}).get(step_id)
        if not isinstance(words, dict):
            raise LessonError(f"{folder}/{lang}.yaml: step {step_id!r} has no words")
        texts[lang] = Text(
            title=str(words["title"]),
            instruction=render_markdown(str(words.get("instruction", ""))),
            hint=render_markdown(str(words.get("hint", ""))),
            question=str(words.get("question", "")),
            choices={str(k): str(v) for k, v in (words.get("choices") or {}).items()},
            explain=render_markdown(str(words.get("explain", ""))),
        )
    predict = None
    if raw.get("predict"):
        choices = raw["predict"].get("choices")
        predict = Prediction(
            measure=measures.parse(raw["predict"]["measure"], f"{folder} step {step_id}"),
            choices=None if choices == "nodes" else tuple(str(c) for c in choices),
        )
        for lang, text in texts.items():
            if not text.question:
                raise LessonError(f"{folder}/{lang}.yaml: step {step_id!r} predicts but asks no question")
    return Step(
        id=step_id,
        commands=tuple(str(c) for c in raw.get("commands") or []),
        check=checks.parse(raw["check"], f"{folder} step {step_id}"),
        predict=predict,
        stdin=str(raw.get("stdin") or ""),
        texts=texts,
    )
