"""Korean particles (조사) after names that are filled in at run time.

A Korean particle has two shapes, chosen by how the word before it ends: after a final consonant
(받침) "이, 을, 은, 과, 으로", after a vowel "가, 를, 는, 와, 로" — and "로" also after ㄹ.
The step explanations name things such as `kube-apiserver`, `kubelet/worker-1` or
`pods/default/web-5c9f`, so the particle has to be chosen from how a Korean reader pronounces the
end of that name. `josa("kubelet/worker-1", "이/가")` → "kubelet/worker-1이".

How the end of a word is read (the rule, in order; the first that applies decides):

1. Trailing punctuation that is not pronounced — ) ] } > " ' ` . , ; : ! ? / \\ * and spaces —
   is skipped: `pods/default/web/` is read as `web`. "%" reads 퍼센트 (no 받침).
2. A Hangul syllable: its own final consonant (종성), if any. A lone consonant letter (ㄱ…ㅎ)
   counts as a final consonant, a lone vowel letter (ㅏ…ㅣ) as none.
3. Digits: the trailing run of digits is read as a Sino-Korean number (`10` 십, `1000` 천, `42` 사십이):
   its last syllable decides. Ending in 1 일, 7 칠, 8 팔 → ㄹ; 3 삼 → ㅁ; 6 육, 0 영 → ㅇ/ㄱ; 2 이,
   4 사, 5 오, 9 구 → none; a round number by its unit: 십 ㅂ, 백 ㄱ, 천 ㄴ, 만 ㄴ, 억 ㄱ, 조 none.
   A run with a leading zero (`007`) is read digit by digit, so its last digit decides.
4. Latin letters: the last English word of the name (`worker-node` → `node`, camelCase split:
   `ReplicaSet` → `set`), lower-cased, is read as Korean loanword spelling (외래어 표기법, 영어)
   writes it:
   a. known exceptions in established Korean usage (EXCEPTIONS): web 웹, job 잡 (받침);
      hub 허브, sub 서브, check 체크 (none).
   b. initialisms read letter by letter (INITIALISMS: etcd, api, dns, cri, hpa, pvc, …), a one-letter
      word (`web-5c9f` → `f`) and a word without a vowel (`cm`, `svc`, `k8s` → `s`) are spelled out:
      the last letter's Korean name decides — l 엘 (ㄹ), m 엠, n 엔 have a 받침; every other letter name
      (에이, 비, 씨, 디, …, 아르, 에스, 티, 엑스) has none.
   c. -ng → ㅇ (binding 바인딩); -gn → ㄴ (sign 사인).
   d. -l → ㄹ (kubectl, pool); -m → ㅁ; -n → ㄴ (ㄹ/ㅁ/ㄴ are kept as 받침: 외래어 표기법 제1항 3, 제4항, 제6항).
   e. a silent -e after l, m, n: -le → ㄹ (table 테이블, file 파일), -me → ㅁ (volume 볼륨), -ne → ㄴ
      (line 라인, engine 엔진).
   f. a voiceless stop p, t, k (also c, ck, pp, tt) after a single short vowel letter → ㅂ, ㅅ, ㄱ
      (외래어 표기법 제1항 1: "짧은 모음 다음의 어말 무성 파열음은 받침으로 적는다"): kubelet 큐블릿,
      set 셋, map 맵, traffic 트래픽; also -ook (book 북, webhook 웹훅). The same after a b
      (established usage: lab 랩, tab 탭) — web and job are exceptions anyway.
   g. everything else has no 받침 in Korean spelling: a final vowel or y/w, -r (server 서버), a
      final b/d/g that takes 으 (pod 포드, log 로그), s, x, z, f, v, sh, ch, th (스, 즈, 프, 브, 시, 치),
      a consonant cluster (client 클라이언트, default 디폴트), a silent e after anything but l, m, n
      (node 노드, service 서비스), a stop after a long vowel (sheet 시트).
5. Anything else (an empty string, a name ending in symbols or another script) is undecidable: the
   particle is written with both shapes, as Korean software traditionally does: "이(가)", "을(를)",
   "(으)로".

The real names the dashboard shows, with the particle each takes, are tested in tests/test_i18n.py.
"""

from __future__ import annotations

import re
import string

NO_FINAL = ""  # the word ends in a vowel sound

# batchim form → vowel form, for the particles that come in two shapes
PAIRS = {
    "이": "가",
    "을": "를",
    "은": "는",
    "과": "와",
    "으로": "로",
    "으로서": "로서",
    "으로써": "로써",
    "으로부터": "로부터",
    "이나": "나",
    "이랑": "랑",
    "이다": "다",
    "이라고": "라고",
    "이라는": "라는",
    "이에요": "예요",
    "이었": "였",
    "아": "야",
    "이여": "여",
}

EXCEPTIONS = {"web": "ㅂ", "job": "ㅂ", "hub": NO_FINAL, "sub": NO_FINAL, "check": NO_FINAL}

INITIALISMS = frozenset(
    {
        "api",
        "aws",
        "ca",
        "cni",
        "cpu",
        "cri",
        "crd",
        "csi",
        "dns",
        "etcd",
        "gcp",
        "gke",
        "gpu",
        "hpa",
        "id",
        "io",
        "ip",
        "ipvs",
        "os",
        "pv",
        "pvc",
        "qr",
        "sa",
        "tls",
        "ssl",
        "ui",
        "uid",
        "url",
        "vip",
        "vm",
        "eks",
        "aks",
        "oci",
        "ttl",
    }
)

# the final consonant of each letter's Korean name (엘, 엠, 엔; all others end in a vowel)
LETTER_NAME_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ"}

_DIGIT_FINAL = {
    "0": "ㅇ",
    "1": "ㄹ",
    "2": NO_FINAL,
    "3": "ㅁ",
    "4": NO_FINAL,
    "5": NO_FINAL,
    "6": "ㄱ",
    "7": "ㄹ",
    "8": "ㄹ",
    "9": NO_FINAL,
}
# a round number is read by its largest unit: 십, 백, 천, 만, 만, 만, 만 (십만…천만), 억…, 조…, 경
_ROUND_FINAL = {
    1: "ㅂ",
    2: "ㄱ",
    3: "ㄴ",
    4: "ㄴ",
    5: "ㄴ",
    6: "ㄴ",
    7: "ㄴ",
    8: "ㄱ",
    9: "ㄱ",
    10: "ㄱ",
    11: "ㄱ",
    12: NO_FINAL,
    13: NO_FINAL,
    14: NO_FINAL,
    15: NO_FINAL,
}

_JONGSEONG = (
    "",
    "ㄱ",
    "ㄲ",
    "ㄳ",
    "ㄴ",
    "ㄵ",
    "ㄶ",
    "ㄷ",
    "ㄹ",
    "ㄺ",
    "ㄻ",
    "ㄼ",
    "ㄽ",
    "ㄾ",
    "ㄿ",
    "ㅀ",
    "ㅁ",
    "ㅂ",
    "ㅄ",
    "ㅅ",
    "ㅆ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)
_SILENT = set(" \t\n)]}>\"'`.,;:!?/\\*")
_VOWELS = set("aeiou")
_STOP_FINAL = {"p": "ㅂ", "b": "ㅂ", "t": "ㅅ", "k": "ㄱ", "c": "ㄱ"}
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def final_consonant(word: object) -> str | None:
    """The 받침 a Korean reader hears at the end of `word`: a jamo such as "ㄹ", "" for none, None if unknown."""
    text = str(word)
    end = len(text)
    while end and text[end - 1] in _SILENT:
        end -= 1
    if not end:
        return None
    last = text[end - 1]
    if last == "%":
        return NO_FINAL
    if "가" <= last <= "힣":
        return _JONGSEONG[(ord(last) - 0xAC00) % 28]
    if "ㄱ" <= last <= "ㅎ":
        return last
    if "ㅏ" <= last <= "ㅣ":
        return NO_FINAL
    if last in string.digits:
        start = end
        while start and text[start - 1] in string.digits:
            start -= 1
        return _number_final(text[start:end])
    if last in string.ascii_letters:
        start = end
        while start and text[start - 1] in string.ascii_letters:
            start -= 1
        return _english_final(text[start:end])
    return None


def _number_final(digits: str) -> str | None:
    if len(digits) > 1 and digits.startswith("0"):
        return _DIGIT_FINAL[digits[-1]]
    stripped = digits.rstrip("0")
    if not stripped:
        return _DIGIT_FINAL["0"]  # 영
    zeros = len(digits) - len(stripped)
    if zeros == 0:
        return _DIGIT_FINAL[digits[-1]]
    return _ROUND_FINAL.get(zeros, "ㅇ")  # 경 and beyond


def _english_final(letters: str) -> str:
    word = _WORDS.findall(letters)[-1].lower()
    if word in EXCEPTIONS:
        return EXCEPTIONS[word]
    if len(word) == 1 or word in INITIALISMS or not (_VOWELS & set(word)):
        return LETTER_NAME_FINAL.get(word[-1], NO_FINAL)
    if word.endswith("ng"):
        return "ㅇ"
    if word.endswith("gn"):
        return "ㄴ"
    last = word[-1]
    if last in LETTER_NAME_FINAL:
        return LETTER_NAME_FINAL[last]
    if last == "e" and len(word) > 2 and word[-2] in LETTER_NAME_FINAL:
        return LETTER_NAME_FINAL[word[-2]]
    if word.endswith("ook"):
        return "ㄱ"
    stem = word[:-2] if word[-2:] in ("ck", "pp", "tt") else word[:-1]
    final = "k" if word.endswith("ck") else last
    if final in _STOP_FINAL and stem and stem[-1] in _VOWELS and (len(stem) == 1 or stem[-2] not in _VOWELS):
        return _STOP_FINAL[final]
    return NO_FINAL


def _forms(pair: str) -> tuple[str, str]:
    """("이", "가") from "이/가" or "가/이": the form after a 받침 first."""
    first, _, second = pair.partition("/")
    if not second:
        raise ValueError(f"a particle pair looks like 이/가, not {pair!r}")
    if PAIRS.get(first) == second:
        return first, second
    if PAIRS.get(second) == first:
        return second, first
    if second.startswith(("이", "으")) and not first.startswith(("이", "으")):
        return second, first
    return first, second


def particle(word: object, pair: str) -> str:
    """The particle alone: particle("etcd", "은/는") → "는"."""
    after_consonant, after_vowel = _forms(pair)
    final = final_consonant(word)
    if final is None:
        if after_consonant.endswith(after_vowel):  # 으로/로 → (으)로, 이다/다 → (이)다
            return f"({after_consonant[: -len(after_vowel)]}){after_vowel}"
        return f"{after_consonant}({after_vowel})"
    if not final:
        return after_vowel
    if final == "ㄹ" and after_consonant.startswith("으로"):
        return after_vowel  # 일로, kubectl로: ㄹ takes 로
    return after_consonant


def josa(word: object, pair: str) -> str:
    """The word with its particle: josa("kubelet/worker-1", "이/가") → "kubelet/worker-1이"."""
    return f"{word}{particle(word, pair)}"


class Formatter(string.Formatter):
    """str.format where a field's format spec may be a particle pair: "{source:이/가}", "{key:을/를}"."""

    def format_field(self, value: object, format_spec: str) -> str:
        if "/" in format_spec and any("가" <= ch <= "힣" for ch in format_spec):
            return josa(value, format_spec)
        return super().format_field(value, format_spec)


_formatter = Formatter()


def format_map(template: str, values: dict) -> str:
    """template.format_map(values), with particle pairs chosen for the filled-in words."""
    return _formatter.vformat(template, (), values)
