"""The figures a narrative report's sentences state, each with what it counts.

"1.501 hồ sơ đã giải quyết, trong đó có 399 hồ sơ trước hạn (chiếm 26,6%)" gives a count of
`resolved`, a count of `resolved_early` and a percentage of the latter. What a figure counts comes
from the words of its clause, compared without diacritics (so text typed without them, or read by
OCR with wrong ones, reads alike), by the vocabulary in `templates/report-vocabulary.toml`.

A number OCR may have damaged (`6 635` for `6.635`, `4323 %` for `43,23 %`, `s68.311` for
`số 8.311`) is not read as one value: the figure keeps its possible `readings`, and the checks may
confirm it by one of them but never call it wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from tthc_xl.core.layouts import read_toml, templates_dir
from tthc_xl.core.numbers import parse_number
from tthc_xl.core.text import fold

COUNT, PERCENT, CHANGE, RATE_CHANGE = "count", "percent", "change", "rate_change"
RIGHT, WRONG, WARNED, SKIPPED = "đúng", "sai", "cảnh báo", "bỏ qua"


@dataclass(frozen=True)
class Meaning:
    key: str
    label: str
    base: str | None
    words: tuple[tuple[str, ...], ...]  # every item must match one of its alternatives
    after: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    meanings: tuple[Meaning, ...]
    identities: tuple[tuple[str, tuple[str, ...]], ...]
    count_nouns: tuple[str, ...]
    other_nouns: tuple[str, ...]
    ignore_words: tuple[str, ...]
    base_words: tuple[str, ...]
    previous_words: tuple[str, ...]
    last_year_words: tuple[str, ...]
    unit_words: tuple[str, ...]

    def label(self, key: str) -> str:
        return next((m.label for m in self.meanings if m.key == key), key)

    def base(self, key: str) -> str | None:
        return next((m.base for m in self.meanings if m.key == key), None)


class VocabularyError(ValueError):
    """The report vocabulary file cannot be used; the message (Vietnamese) says which and why."""


@lru_cache(maxsize=4)
def load_vocabulary(path=None) -> Vocabulary:
    path = path or templates_dir() / "report-vocabulary.toml"
    data = read_toml(path, "tệp từ vựng báo cáo", VocabularyError)
    try:
        meanings = tuple(
            Meaning(m["key"], m["label"], m.get("base"), tuple(tuple(fold(alt) for alt in item.split("|"))
                                                                for item in m["words"]), m.get("after"))
            for m in data["meaning"]
        )
        identities = tuple((i["total"], tuple(i["parts"])) for i in data.get("identity", []))
        return Vocabulary(meanings, identities, *(tuple(fold(w) for w in data[k]) for k in (
            "count_nouns", "other_nouns", "ignore_words", "base_words", "previous_words", "last_year_words",
            "unit_words")))
    except (KeyError, TypeError, AttributeError) as exc:
        raise VocabularyError(f"Tệp từ vựng báo cáo {path} thiếu hoặc sai mục {exc}; hãy sửa theo tệp "
                              "templates/report-vocabulary.toml.") from None


@dataclass(eq=False)  # each figure is itself (two "5.661" of a report are two figures)
class Figure:
    """One figure of the text. `paragraph` is 1-based, as the clerk counts the report's paragraphs."""

    paragraph: int
    kind: str  # COUNT, PERCENT, CHANGE or RATE_CHANGE
    written: str  # as typed: "2.099", "26,6 %", "tăng 96 hồ sơ"
    clause: str  # the words around it, quoted in messages
    meaning: str | None  # what it counts ("resolved_early"); None when the words do not say
    value: float | None  # the value, when it reads for certain
    readings: tuple[float, ...] = ()  # what it may be, when it does not (OCR)
    unit: str = ""  # the unit the figure belongs to ("Sở Tư pháp"), when it is not the total
    base: str | None = None  # PERCENT: the quantity it is a share of
    base_named: bool = False  # PERCENT: the sentence names it ("trên tổng số …"), else the usual base
    repeats: bool = False  # COUNT: "trên tổng số 5.661 hồ sơ", a base quoted again
    of: "Figure | None" = None  # PERCENT, CHANGE: the count it qualifies (a rate change: the share)
    against: str = ""  # CHANGE: "previous" or "last_year"
    checked: list[str] = field(default_factory=list)  # what it was checked against (Vietnamese)
    verdict: str = SKIPPED
    note: str = ""

    @property
    def certain(self) -> bool:
        return self.value is not None

    @property
    def values(self) -> tuple[float, ...]:
        return (self.value,) if self.value is not None else self.readings

    def decide(self, verdict: str, against: str, note: str = "") -> None:
        """Record one check; the verdict shown is the gravest (sai > cảnh báo > đúng > bỏ qua)."""
        if against and verdict != SKIPPED and against not in self.checked:
            self.checked.append(against)
        order = [SKIPPED, RIGHT, WARNED, WRONG]
        if order.index(verdict) >= order.index(self.verdict):
            self.verdict = verdict
            self.note = note or self.note


# A number as typed: "2.099", "26,6", "09"; OCR's "2.O99", "6 635" (6.635, or 6 and 635) and "43.23" before %.
_NUMBER = re.compile(
    r"(?<![\d.,/])(?:"
    r"(?P<letters>(?=\d[\d.,]*[oil])\d[\doil]*(?:[.,][\doil]+)*)(?![a-z\d])"  # OCR's O for 0, l for 1: "2.O99"
    r"|(?P<dotted>\d{1,3}(?:\.\d{3})+(?:,\d+)?)"
    r"|(?P<spaced>\d{1,3}(?: \d{3})+)(?![\d.,]\d)"
    r"|(?P<point>\d{1,3}\.\d{1,2})(?=\s*%)"
    r"|(?P<plain>\d+(?:,\d+)?)"
    r")(?![\d/]|[.,]\d)"
)
_OCR_DIGITS = str.maketrans("oil", "011")
_CHANGE_BEFORE = re.compile(r"(tang|giam)\s*$")
_LEADS = re.compile(r"(?::|\bla|\bco)\s*$")
_UNCHANGED = re.compile(r"khong (?:thay )?doi(?= so voi)")


def _plain_table() -> dict[int, str]:
    table = {}
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(code)
        base = "d" if ch in "đĐ" else unicodedata.normalize("NFD", ch)[0].lower()
        if len(base) == 1 and base != ch:
            table[code] = base
    return table


_PLAIN = _plain_table()


def plain(text: str) -> str:
    """Lower case without diacritics, character for character (positions stay valid)."""
    return text.translate(_PLAIN)


def prepare(paragraph: str) -> str:
    """NFC, no stray combining marks (OCR), no markup asterisks, single spaces."""
    text = unicodedata.normalize("NFC", paragraph)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("*", "")
    return " ".join(text.split())


def read_figures(paragraphs: list[str], vocabulary: Vocabulary | None = None) -> list[Figure]:
    """Every figure of every paragraph, in reading order (paragraphs numbered from 1)."""
    vocabulary = vocabulary or load_vocabulary()
    figures: list[Figure] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        figures += _paragraph_figures(number, prepare(paragraph), vocabulary)
    return figures


@dataclass
class _Paragraph:
    """One paragraph being read: its text, the same in plain letters, and what came before."""

    number: int
    text: str
    low: str
    depths: list[int]
    vocab: Vocabulary
    about_dossiers: bool
    family: str | None = None  # "resolved" or "pending": what a bare "quá hạn" is about
    last_count: Figure | None = None  # what a following percentage or comparison qualifies
    last_share: Figure | None = None  # what a following "tăng 0,06 %" qualifies, when no count came since


def _paragraph_figures(number: int, text: str, vocab: Vocabulary) -> list[Figure]:
    if not any(ch.isdigit() for ch in text):
        return []
    low = plain(text)
    here = _Paragraph(number, text, low, _depths(text), vocab,
                      any(f" {noun} " in f" {fold(text)} " for noun in vocab.count_nouns))
    tokens = [(m.start(), m.end(), m) for m in _NUMBER.finditer(low)]
    tokens += [(m.start(), m.end(), None) for m in _UNCHANGED.finditer(low)]
    figures = []
    for start, end, match in sorted(tokens, key=lambda t: t[0]):
        figure = _figure_at(here, start, end, match)
        if figure is not None:
            figures.append(figure)
            if figure.kind == PERCENT:
                here.last_share = figure
            if figure.kind == COUNT and not figure.repeats:
                here.last_count, here.last_share = figure, None
                if figure.meaning and figure.meaning.startswith(("resolved", "pending")) and not figure.unit:
                    here.family = figure.meaning.split("_")[0]
    return figures


def _figure_at(here: _Paragraph, start: int, end: int, match) -> Figure | None:
    """The figure the number (or "không đổi") at text[start:end] is, or None (a date, a decree's number…)."""
    text, low, vocab = here.text, here.low, here.vocab
    segment, seg_start, seg_end = _segment(text, here.depths, start)
    after = low[end:end + 40].lstrip()
    before = low[max(0, start - 30):start]
    change_word = _CHANGE_BEFORE.search(before)
    of = here.last_count
    if match is None:  # "không đổi so với tháng trước"
        return _comparison(here, CHANGE, text[start:end], segment, 0.0, (), end, seg_end)
    value, readings = _reading(match, low, start)
    written = text[start:end]
    if after.startswith("%"):
        written += " %"
        if change_word:  # "tăng 0,06 % so với tháng trước"
            sign = 1 if change_word.group(1) == "tang" else -1
            return _comparison(here, RATE_CHANGE, _typed_before(text, start, before, change_word) + written, segment,
                               _signed(value, sign), _signed_all(readings, sign), end, seg_end)
        value, readings = _percent_reading(match, value, readings)
        own = _classify(_without_base(plain(segment), vocab), here.family, vocab)
        if of is None and not re.search(r"\bt[yi] le\b", plain(segment)):
            own = None  # "100% các TTHC …": a share of nothing the text counts
        if own and of and own != of.meaning:
            of = None  # "tỷ lệ đúng hạn đạt 98 %" after another figure: a share of its own quantity
        meaning = own or (of.meaning if of else None)
        named = _base(low[end:seg_end], vocab)
        return Figure(here.number, PERCENT, written, segment, meaning, value, readings, unit=of.unit if of else "",
                      base=named or vocab.base(meaning or ""), base_named=bool(named), of=of)
    noun = _word_at(after, vocab.count_nouns)
    if noun is None and _word_at(after, vocab.other_nouns):
        return None  # "01 quầy", "270 TTHC"
    if any(before.rstrip().endswith(n) for n in vocab.other_nouns):
        return None  # "mức độ 3", "tháng 7"
    if change_word:  # "tăng 96 hồ sơ so với tháng trước"
        if not (noun and of):
            return None
        sign = 1 if change_word.group(1) == "tang" else -1
        typed = f"{_typed_before(text, start, before, change_word)}{written} {text[end:].lstrip()[:len(noun)]}"
        return _comparison(here, CHANGE, typed, segment, _signed(value, sign), _signed_all(readings, sign), end, seg_end)
    base_word = next((w for w in vocab.base_words if before.rstrip().endswith(w)), None)
    if base_word:  # "trên tổng số 5.661 hồ sơ": the base quoted again
        meaning = _base(low[start - len(base_word) - 1:seg_end], vocab) or "received"
        return Figure(here.number, COUNT, written, segment, meaning, value, readings, repeats=True)
    meaning = _classify(plain(segment), here.family, vocab)
    alone = len(_NUMBER.findall(plain(segment))) == 1
    if noun is None and not (meaning and here.about_dossiers and (_LEADS.search(before) or alone)):
        return None
    if value is not None and value != int(value):
        readings, value = _thousands_reading(written), None  # "6,635 hồ sơ": a count is whole
    return Figure(here.number, COUNT, written, segment, meaning, value, readings,
                  unit=_unit(text, low, start, seg_end, vocab))


def _comparison(here: _Paragraph, kind, written, segment, value, readings, end, seg_end) -> Figure | None:
    """A comparison with another period, of the figure just before (a rate change: of the share)."""
    of = here.last_share or here.last_count if kind != CHANGE or written.startswith(("không", "Không")) else here.last_count
    if of is None or of.meaning is None:
        return None
    return Figure(here.number, kind, written, segment, of.meaning, value, readings, of=of,
                  against=_against(here.low[end:seg_end + 1], here.vocab))


def _word_at(after: str, words) -> str | None:
    """The word of `words` that `after` starts with ("hồ sơ" in "hồ sơ, trong đó")."""
    return next((w for w in words if re.match(rf"{re.escape(w)}(?![a-z0-9])", after)), None)


def _typed_before(text: str, start: int, before: str, found) -> str:
    """The original spelling of "tăng "/"giảm " typed just before `start`."""
    return text[start - len(before) + found.start():start]


def _signed(value, sign):
    return None if value is None else sign * value


def _signed_all(readings, sign):
    return tuple(sign * r for r in readings)


def _reading(match, low: str, start: int) -> tuple[float | None, tuple[float, ...]]:
    """(value, ()) when the number reads for certain, else (None, possible readings)."""
    glued = start > 0 and low[start - 1].isalpha()
    if match.group("letters"):
        digits = match.group("letters").translate(_OCR_DIGITS)
        try:
            return None, (parse_number(digits),)
        except ValueError:
            return None, ()
    if match.group("spaced"):
        digits = match.group("spaced")
        return None, (int(digits.replace(" ", "")), int(digits.split(" ", 1)[1].replace(" ", "")))
    if match.group("point"):
        return None, (float(match.group("point")),)
    value = parse_number(match.group(0))
    if glued:  # "s68.311": the letter's mark may have become a digit ("số 8.311")
        digits = match.group(0)
        shorter = digits[1:].lstrip(".")
        readings = (value,) + ((parse_number(shorter),) if shorter and shorter[0].isdigit() else ())
        return None, readings
    return value, ()


def _percent_reading(match, value, readings):
    """A percentage above 100 written without a comma ("4323 %") is OCR's 43,23 (or 432,3)."""
    digits = match.group("plain")
    if value is not None and value > 100 and digits and "," not in digits and len(digits) >= 3:
        return None, tuple(int(digits) / 10 ** k for k in (2, 1) if int(digits) / 10 ** k <= 100)
    return value, readings


def _thousands_reading(written: str) -> tuple[float, ...]:
    """"6,635" meant as a count: 6.635 with the dot read as a comma; otherwise no reading."""
    whole, _, frac = written.partition(",")
    return (int(whole.replace(".", "") + frac),) if len(frac) == 3 and whole.replace(".", "").isdigit() else ()


def _depths(text: str) -> list[int]:
    """Parenthesis depth of each character; brackets belong to the inside."""
    depths, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        depths.append(depth)
        if ch == ")" and depth:
            depth -= 1
    return depths


def _is_separator(text: str, i: int) -> bool:
    ch = text[i]
    nxt = text[i + 1:i + 2]
    if ch in ";(":
        return True
    if ch == ")":
        return True
    if ch == "," and (nxt == "" or nxt.isspace()):
        return True
    if ch == "." and (nxt == "" or nxt.isspace() and _starts_sentence(text[i + 1:])):
        return True
    if ch in "+-–" and (i == 0 or text[i - 1] == " ") and nxt == " ":
        return i < 2 or text[i - 2] in ".;:!?…" or ch == "+"
    return False


def _starts_sentence(rest: str) -> bool:
    rest = rest.lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0] in "+-–•" or bool(re.match(r"\d+\.\s", rest)))


def _segment(text: str, depths: list[int], i: int) -> tuple[str, int, int]:
    """The clause around position i at its own parenthesis depth (nested parentheses left out)."""
    depth = depths[i]
    left = i
    while left > 0 and not (depths[left - 1] == depth and _is_separator(text, left - 1)) and depths[left - 1] >= depth:
        left -= 1
    right = i
    while right < len(text) and not (depths[right] == depth and _is_separator(text, right)) and depths[right] >= depth:
        right += 1
    words = "".join(ch for ch, d in zip(text[left:right], depths[left:right]) if d == depth)
    return " ".join(words.split()).strip(" -:+"), left, right


def _matches(folded: str, alternatives: tuple[str, ...]) -> bool:
    return any(f" {alt} " in folded for alt in alternatives)


def _classify(low_segment: str, family: str | None, vocab: Vocabulary) -> str | None:
    folded = f" {fold(low_segment)} "
    for phrase in vocab.ignore_words + vocab.previous_words:
        folded = folded.replace(f" {phrase} ", " ")
    for meaning in vocab.meanings:
        if meaning.after and meaning.after != family:
            continue
        if meaning.after and " da giai quyet " in folded:
            continue
        if all(_matches(folded, item) for item in meaning.words):
            return meaning.key
    return None


def _without_base(low_segment: str, vocab: Vocabulary) -> str:
    folded = fold(low_segment)
    for word in vocab.base_words:
        at = f" {folded} ".find(f" {word} ")
        if at >= 0:
            return folded[:at]
    return folded


def _base(low_rest: str, vocab: Vocabulary) -> str | None:
    """The quantity named after "trên tổng số"/"so với tổng số" (default: the total received)."""
    folded = f" {fold(low_rest)} "
    for word in vocab.base_words:
        at = folded.find(f" {word} ")
        if at >= 0:
            named = folded[at + len(word) + 1:]
            named = _classify(re.sub(r"^[\s\d]+", " ", named), None, vocab)
            return named or "received"
    return None


def _against(low_rest: str, vocab: Vocabulary) -> str:
    folded = f" {fold(low_rest)} "
    if any(f" {w} " in folded for w in vocab.last_year_words):
        return "last_year"
    return "previous"


def _unit(text: str, low: str, number_at: int, end: int, vocab: Vocabulary) -> str:
    """"12 trường hợp quá hạn của Sở Tư pháp": the unit a figure belongs to, named after it in its
    clause and before any explanation ("do …", "vì …": "của Sở" there names the cause's source)."""
    reason = re.search(r"\b(?:do|vi|ly do|nguyen nhan)\b", low[number_at:end])
    end = number_at + reason.start() if reason else end
    for marker in re.finditer(r"\b(cua|tai)\s+", low[number_at:end]):  # "thuộc X (21 hồ sơ), Y" splits a total
        at = number_at + marker.end()
        for word in vocab.unit_words:
            if low.startswith(word + " ", at) and (text[at].isupper() or word == "ubnd"):
                stop = re.search(r"\s*[(,;:]|\s+(?:la|da|duoc|chiem)\s|\s*$", low[at:end] + " ")
                name = text[at:at + stop.start()].strip(" .")
                if len(name.split()) >= 2:
                    return name
    return ""
