"""What a column header means (carried over, online, on time…), from `templates/vocabulary.toml`.

A header is a path of texts, outer heading to the column's own text (`Số hồ sơ nhận giải quyết ›
Trong đó › Kỳ trước`); a one-row header may join them with dashes (`Đã giải quyết - Tổng số`).
Its meaning is a key shared by every layout (`carried_over`, `resolved_late`…), so a column is
recognised whatever the wording, and a layout inferred from a header is used like a written one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from tthc_xl.core.layouts import LayoutError, templates_dir
from tthc_xl.core.text import fold

_DASHES = re.compile(r"\s+[-–—]\s+")
_MEANINGS: dict[tuple, dict[int, str | None]] = {}  # (vocabulary, header) → meanings (vocabularies live as long as the process)


@dataclass(frozen=True)
class Meaning:
    key: str
    stage: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    total: tuple[str, ...]
    parts: tuple[str, ...]
    order: tuple[str, ...]
    label: tuple[str, ...]
    stages: tuple[tuple[str, tuple[str, ...]], ...]  # (stage key, words), most specific first
    meanings: tuple[Meaning, ...]
    complete: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)  # total's key → sets of parts that make it whole

    @property
    def keys(self) -> set[str]:
        return {m.key for m in self.meanings} | {key for key, _ in self.stages}

    def stage_of(self, text: str) -> str | None:
        """The stage a header text names ("Số hồ sơ đã giải quyết" → resolved), else None."""
        padded = f" {fold(text)} "
        return next((key for key, words in self.stages if any(f" {w} " in padded for w in words)), None)

    def is_total(self, text: str) -> bool:
        return fold(text) in self.total

    def is_parts(self, text: str) -> bool:
        return fold(text) in self.parts

    def kind_of(self, path: tuple[str, ...]) -> str:
        """"order", "label" or "count", by the column's own header text."""
        leaf = fold(path[-1]) if path else ""
        if leaf in self.order:
            return "order"
        if leaf in self.label or any(leaf.startswith(w + " ") for w in self.label if len(w) > 3):
            return "label"
        return "count"

    def meaning(self, path: tuple[str, ...], left_stage: str | None = None) -> tuple[str | None, str | None]:
        """(key, stage) of a column with header `path`; `left_stage` is its left neighbour's stage.

        The stage is the one named closest to the column in its path (or its neighbour's, when the
        path names none); the key is the stage's total for a total word or a bare stage, else the
        first meaning of that stage whose words the column's own text holds. (None, stage) when the
        text says nothing the vocabulary knows.
        """
        segments = split_path(path)
        if not segments:
            return None, left_stage
        leaf = fold(segments[-1])
        named = next((s for s in map(self.stage_of, reversed(segments)) if s), None)
        if named is None and leaf in self.total:
            return None, None  # a bare "Tổng": which total is not said (a new group starts here)
        stage = named or left_stage
        padded = f" {leaf} "
        if stage is None:  # no stage anywhere: only a meaning its words alone single out
            keys = {m.key for m in self.meanings if any(f" {w} " in padded for w in m.words)}
            if len(keys) == 1:
                (key,) = keys
                return key, next(m.stage for m in self.meanings if m.key == key)
            return None, None
        if leaf in self.total:
            return stage, stage
        for meaning in self.meanings:
            if meaning.stage == stage and any(f" {w} " in padded for w in meaning.words):
                return meaning.key, stage
        if self.stage_of(segments[-1]) == stage:
            return stage, stage  # "Hồ sơ bị trả lại", "Số hồ sơ nhận giải quyết": the stage's total
        return None, stage

    def meanings_of(self, headers: dict[int, tuple[str, ...]], columns) -> dict[int, str | None]:
        """The key of each of `columns` (in order), a column's stage carrying over to its right neighbour.

        Kept by header: every unit's file of one layout has the same header, asked about for each layout.
        """
        items = tuple((n, headers.get(n, ())) for n in columns)
        cache_key = (id(self), items)
        found = _MEANINGS.get(cache_key)
        if found is None:
            found, stage = {}, None
            for n, path in items:
                found[n], stage = self.meaning(path, stage)
            if len(_MEANINGS) > 4096:
                _MEANINGS.clear()
            _MEANINGS[cache_key] = found
        return dict(found)


def split_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """A header path with each text's dash-joined parts as levels of their own, blanks dropped."""
    segments = []
    for text in path:
        for part in _DASHES.split(" ".join(str(text).split())):
            if part.strip() and (not segments or fold(segments[-1]) != fold(part)):
                segments.append(part.strip())
    return tuple(segments)


@lru_cache(maxsize=4)
def load_vocabulary(path=None) -> Vocabulary:
    """The vocabulary file (`templates/vocabulary.toml` unless `path`)."""
    path = path or templates_dir() / "vocabulary.toml"
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        words = lambda items: tuple(fold(w) for w in items)  # noqa: E731
        return Vocabulary(
            total=words(data.get("total", [])),
            parts=words(data.get("parts", [])),
            order=words(data.get("order", [])),
            label=words(data.get("label", [])),
            stages=tuple((str(s["key"]), words(s["words"])) for s in data.get("stage", [])),
            meanings=tuple(Meaning(str(m["key"]), str(m["stage"]), words(m["words"])) for m in data.get("meaning", [])),
            complete={str(k): tuple(tuple(map(str, whole)) for whole in sets) for k, sets in data.get("complete", {}).items()},
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LayoutError(f"Không đọc được từ điển tiêu đề cột {path}: {exc}; hãy sửa theo tệp gốc trong templates/.") from None
