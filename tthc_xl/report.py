"""Draft the monthly narrative report (báo cáo) from the consolidated figures, and check one.

The flow is: `Figures` (plain data) → `report_context()` (a pure function: every number
pre-formatted in Vietnamese style, section 1 already written out) → `draft_report()` (a thin
docxtpl renderer over `templates/reports/bao-cao-thang.docx`).

Section 1's wording lives in `SECTION_1` below as Jinja sources, one per paragraph, so the text
pasted from `report_text()` and the text in the .docx are the same. Counts in those sources go
through the `so` filter, which pads small counts to two digits ("04 hồ sơ") as the reports do;
`{{ tong.returned|so(0) }}` prints "4". The same filters are available in the Word template.

`check_report()` reads a report .docx back and flags every figure that contradicts the table.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tthc_xl.layouts import templates_dir
from tthc_xl.numbers import format_number, format_percent, parse_number

DEFAULT_TEMPLATE = templates_dir() / "reports" / "bao-cao-thang.docx"

# Count padding used by the `so` filter and in pre-formatted phrases ("giảm 04 hồ sơ").
PAD = 2

# The share of each quantity is taken over this base quantity (the appendix's "Tỷ lệ %" row).
SHARE_BASE = {
    "carried_over": "received",
    "received_new": "received",
    "received_online": "received",
    "received_direct": "received",
    "resolved": "received",
    "pending": "received",
    "returned": "received",
    "resolved_in_time": "resolved",
    "resolved_early": "resolved",
    "resolved_on_time": "resolved",
    "resolved_late": "resolved",
    "pending_in_time": "pending",
    "pending_overdue": "pending",
}

# What each quantity is called in messages.
LABELS = {
    "received": "tổng số hồ sơ tiếp nhận",
    "carried_over": "số hồ sơ kỳ trước chuyển sang",
    "received_new": "số hồ sơ tiếp nhận mới",
    "received_online": "số hồ sơ tiếp nhận trực tuyến",
    "received_direct": "số hồ sơ tiếp nhận trực tiếp và qua dịch vụ bưu chính",
    "resolved": "số hồ sơ đã giải quyết",
    "resolved_in_time": "số hồ sơ giải quyết trước hạn và đúng hạn",
    "resolved_early": "số hồ sơ giải quyết trước hạn",
    "resolved_on_time": "số hồ sơ giải quyết đúng hạn",
    "resolved_late": "số hồ sơ giải quyết trễ hạn",
    "pending": "số hồ sơ đang giải quyết",
    "pending_in_time": "số hồ sơ đang giải quyết còn hạn",
    "pending_overdue": "số hồ sơ đang giải quyết quá hạn",
    "returned": "số hồ sơ bị trả lại, rút hồ sơ",
}

# Placeholders the clerk replaces by hand.
CAUSE = "[Nêu nguyên nhân]"
RETURN_REASON = "[Nêu lý do trả lại hồ sơ]"


@dataclass
class Figures:
    """The consolidated figures a report quotes.

    `totals`, `previous` and `same_period_last_year` are keyed by the meaning keys shared by all
    table layouts (`received`, `resolved_late`, ...); a key a layout lacks is simply absent.
    """

    totals: dict[str, int]
    units: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    previous: dict[str, int] | None = None
    same_period_last_year: dict[str, int] | None = None
    meta: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Formatting helpers and Jinja filters
# --------------------------------------------------------------------------------------------


def so(value, pad: int = PAD) -> str:
    """Jinja filter: a count in Vietnamese style, small counts padded ("04"); `so(0)` no pad."""
    return format_number(value, pad=pad)


def phan_tram(value) -> str:
    """Jinja filter: a percentage with two decimals ("68,75")."""
    return format_percent(value)


FILTERS = {"so": so, "phan_tram": phan_tram}


def jinja_env(autoescape: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(autoescape=autoescape, undefined=jinja2.ChainableUndefined)
    env.filters.update(FILTERS)
    return env


def _with_in_time(values: dict[str, int] | None) -> dict[str, int]:
    """Copy of `values` with the derived `resolved_in_time` (trước hạn + đúng hạn)."""
    out = dict(values or {})
    if "resolved_early" in out or "resolved_on_time" in out:
        out["resolved_in_time"] = out.get("resolved_early", 0) + out.get("resolved_on_time", 0)
    return out


def shares(values: dict[str, int]) -> dict[str, float]:
    """Each quantity as a percentage of its base (`SHARE_BASE`); bases of 0 give no share."""
    out = {}
    for key, base in SHARE_BASE.items():
        if key in values and values.get(base):
            out[key] = values[key] * 100 / values[base]
    return out


def change_phrase(diff: int) -> str:
    """"tăng 96 hồ sơ", "giảm 04 hồ sơ", "không đổi"."""
    if diff == 0:
        return "không đổi"
    return f"{'tăng' if diff > 0 else 'giảm'} {so(abs(diff))} hồ sơ"


def rate_change_phrase(diff: float) -> str:
    """"tăng 0,06 %", "giảm 1,20 %", "không đổi" (difference of the printed percentages)."""
    diff = round(diff, 2)
    if diff == 0:
        return "không đổi"
    return f"{'tăng' if diff > 0 else 'giảm'} {format_percent(abs(diff))} %"


def date_phrase(text: str) -> str:
    """"24/10/2019" → "ngày 24 tháng 10 năm 2019" (NĐ 30: day < 10 and months 1, 2 get a 0)."""
    match = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", text or "")
    if not match:
        return "ngày … tháng … năm …"
    day, month, year = (int(g) for g in match.groups())
    dt.date(year, month, day)  # raises on an impossible date
    month_text = f"{month:02d}" if month <= 2 else str(month)
    return f"ngày {day:02d} tháng {month_text} năm {year}"


def _comparison_word(ky_bao_cao: str) -> str:
    """"tháng 10 năm 2019" → "tháng trước"; "quý III năm 2019" → "quý trước"."""
    first = (ky_bao_cao or "").strip().split(" ")[0].lower()
    return f"{first} trước" if first in {"tháng", "quý", "năm"} else "kỳ trước"


def _subject(co_quan: str) -> str:
    """How the issuing body calls itself in the text: "Trung tâm", "Sở", ..."""
    upper = (co_quan or "").upper()
    for prefix, word in (("TRUNG TÂM", "Trung tâm"), ("SỞ", "Sở"), ("UBND", "Ủy ban"),
                         ("ỦY BAN", "Ủy ban"), ("BAN", "Ban"), ("VĂN PHÒNG", "Văn phòng")):
        if upper.startswith(prefix):
            return word
    return "Cơ quan"


def _unit_list(units: list[tuple[str, dict[str, int]]], key: str) -> str:
    """Units with a positive value for `key`: "Sở A" or "Sở A (21 hồ sơ), Sở B (01 hồ sơ)"."""
    hits = [(name, values[key]) for name, values in units if values.get(key, 0) > 0]
    hits.sort(key=lambda hit: -hit[1])
    if len(hits) == 1:
        return hits[0][0]
    return ", ".join(f"{name} ({so(count)} hồ sơ)" for name, count in hits)


# --------------------------------------------------------------------------------------------
# Section 1: one Jinja source per paragraph. A paragraph that renders empty is left out.
# Names: tong (counts, raw), ty_le (shares, formatted), so_sanh / so_sanh_ty_le (comparison
# phrases, formatted), don_vi (units concerned), nhan (labels that depend on the layout).
# --------------------------------------------------------------------------------------------

SECTION_1 = [
    # Received in total.
    """{% if 'received' in tong %}- {{ chu_the }} đã tiếp nhận {{ tong.received|so }} hồ sơ TTHC
    {%- if so_sanh.received %} ({{ so_sanh.received }}){% endif %}
    {%- if 'carried_over' in tong or 'received_new' in tong %}, trong đó:{% else %}.{% endif %}
    {%- endif %}""",
    # Carried over and new.
    """{% if 'carried_over' in tong %}+ Kỳ trước chuyển sang: {{ tong.carried_over|so }} hồ sơ
    {%- if 'received_new' in tong %}, tiếp nhận mới: {{ tong.received_new|so }} hồ sơ{% endif %};
    {%- elif 'received_new' in tong %}+ Tiếp nhận mới: {{ tong.received_new|so }} hồ sơ;{% endif %}""",
    # Resolved: early and on time, late.
    """{% if 'resolved' in tong %}+ Đã giải quyết {{ tong.resolved|so }} hồ sơ
    {%- if 'resolved' in ty_le %} (chiếm {{ ty_le.resolved }} % trên tổng số {{ tong.received|so }} hồ sơ){% endif %}
    {%- if 'resolved_in_time' in tong %}; trong đó, trả hồ sơ {{ nhan.resolved_in_time }} là {{ tong.resolved_in_time|so }} hồ sơ
      {%- if 'resolved_in_time' in ty_le %}, chiếm {{ ty_le.resolved_in_time }} %{% endif %}
      {%- if so_sanh_ty_le.resolved_in_time %} ({{ so_sanh_ty_le.resolved_in_time }}){% endif %}
    {%- endif %}
    {%- if tong.resolved_late %}; số hồ sơ đã giải quyết trễ hạn {{ tong.resolved_late|so }} hồ sơ
      {%- if 'resolved_late' in ty_le %} (chiếm {{ ty_le.resolved_late }} %
        {%- if so_sanh.resolved_late %}, {{ so_sanh.resolved_late }}{% endif %}){% endif %}
      {%- if don_vi.resolved_late %} thuộc {{ don_vi.resolved_late }}{% endif %}; nguyên nhân: {{ nguyen_nhan }}
    {%- elif 'resolved_late' in tong %}; không có hồ sơ giải quyết trễ hạn
      {%- if so_sanh.resolved_late %} ({{ so_sanh.resolved_late }}){% endif %}
    {%- endif %};
    {%- endif %}""",
    # Pending: in time, overdue.
    """{% if 'pending' in tong %}+ Đang giải quyết {{ tong.pending|so }} hồ sơ
    {%- if 'pending' in ty_le %} (chiếm {{ ty_le.pending }} % trên tổng số {{ tong.received|so }} hồ sơ){% endif %}
    {%- if 'pending_in_time' in tong %}; trong đó, đang giải quyết còn hạn là {{ tong.pending_in_time|so }} hồ sơ
      {%- if 'pending_in_time' in ty_le %} (chiếm {{ ty_le.pending_in_time }} %){% endif %}
    {%- endif %}
    {%- if tong.pending_overdue %}; đang giải quyết quá hạn là {{ tong.pending_overdue|so }} hồ sơ
      {%- if 'pending_overdue' in ty_le %} (chiếm {{ ty_le.pending_overdue }} %){% endif %}
      {%- if don_vi.pending_overdue %} thuộc {{ don_vi.pending_overdue }}{% endif %}; nguyên nhân: {{ nguyen_nhan }}
    {%- elif 'pending_overdue' in tong %}; không có hồ sơ đang giải quyết quá hạn
    {%- endif %};
    {%- endif %}""",
    # Returned or withdrawn.
    """{% if tong.returned %}+ Có {{ tong.returned|so }} hồ sơ bị trả lại
    {%- if 'returned' in ty_le %} (chiếm {{ ty_le.returned }} %
      {%- if so_sanh.returned %}, {{ so_sanh.returned }}{% endif %}){% endif %}
    {%- if don_vi.returned %} thuộc {{ don_vi.returned }}{% endif %}; lý do: {{ ly_do_tra_lai }}.
    {%- elif 'returned' in tong %}+ Không có hồ sơ bị trả lại
    {%- if so_sanh.returned %} ({{ so_sanh.returned }}){% endif %}.
    {%- endif %}""",
    # Online.
    """{% if 'received_online' in tong %}- Có {{ tong.received_online|so }} hồ sơ tiếp nhận qua hình thức trực tuyến
    {%- if 'received_online' in ty_le %} (chiếm {{ ty_le.received_online }} % trên tổng số {{ tong.received|so }} hồ sơ
      {%- if so_sanh_ty_le.received_online %}, {{ so_sanh_ty_le.received_online }}{% endif %}){% endif %}.
    {%- endif %}""",
    # Direct and by post (layouts that have the column).
    """{% if 'received_direct' in tong %}- Có {{ tong.received_direct|so }} hồ sơ tiếp nhận trực tiếp và qua dịch vụ bưu chính công ích
    {%- if 'received_direct' in ty_le %} (chiếm {{ ty_le.received_direct }} % trên tổng số {{ tong.received|so }} hồ sơ){% endif %}.
    {%- endif %}""",
]


def _render_section_1(context: dict) -> list[str]:
    env = jinja_env()
    paragraphs = []
    for source in SECTION_1:
        text = " ".join(env.from_string(source).render(context).split())
        if text:
            paragraphs.append(text)
    return paragraphs


# --------------------------------------------------------------------------------------------
# Context, text, document
# --------------------------------------------------------------------------------------------


def report_context(figures: Figures) -> dict:
    """Everything the template needs, numbers already formatted in Vietnamese style.

    Keys: the `meta` fields as given; `ngay_thang` ("ngày 24 tháng 10 năm 2019"); `chu_the`
    ("Trung tâm"); `ky_truoc` ("tháng trước"); `tong` (raw counts, with the derived
    `resolved_in_time`); `so_lieu` (counts formatted, padded: "5.661", "04"); `ty_le` (shares,
    "68,75"); `thay_doi` / `cung_ky` (count changes, "tăng 96 hồ sơ"); `thay_doi_ty_le` /
    `cung_ky_ty_le` (share changes, "tăng 0,06 %"); `so_sanh` / `so_sanh_ty_le` (the same with
    "so với tháng trước" appended, joined); `don_vi` (units concerned per key); `muc_1` (section
    1 paragraphs).
    """
    meta = {key: str(value) for key, value in figures.meta.items()}
    totals = _with_in_time(figures.totals)
    ty_le_raw = shares(totals)
    ky_truoc = meta.get("ky_truoc") or _comparison_word(meta.get("ky_bao_cao", ""))

    def changes(other: dict[str, int] | None):
        if other is None:
            return {}, {}
        other = _with_in_time(other)
        counts = {k: change_phrase(totals[k] - other[k]) for k in totals if k in other}
        other_shares = shares(other)
        rates = {k: rate_change_phrase(round(v, 2) - round(other_shares[k], 2))
                 for k, v in ty_le_raw.items() if k in other_shares}
        return counts, rates

    thay_doi, thay_doi_ty_le = changes(figures.previous)
    cung_ky, cung_ky_ty_le = changes(figures.same_period_last_year)

    def compare(last, last_year):
        keys = list(dict.fromkeys([*last, *last_year]))
        out = {}
        for key in keys:
            parts = []
            if key in last:
                parts.append(f"{last[key]} so với {ky_truoc}")
            if key in last_year:
                parts.append(f"{last_year[key]} so với cùng kỳ năm trước")
            out[key] = ", ".join(parts)
        return out

    if "resolved_early" in totals and "resolved_on_time" in totals:
        in_time_label = "trước hạn và đúng hạn"
    else:
        in_time_label = "trước hạn" if "resolved_early" in totals else "đúng hạn"

    context = {
        **meta,
        "ngay_thang": date_phrase(meta.get("ngay", "")),
        "chu_the": meta.get("chu_the") or _subject(meta.get("co_quan", "")),
        "ky_truoc": ky_truoc,
        "tong": totals,
        "so_lieu": {k: so(v) for k, v in totals.items()},
        "ty_le": {k: format_percent(v) for k, v in ty_le_raw.items()},
        "thay_doi": thay_doi,
        "thay_doi_ty_le": thay_doi_ty_le,
        "cung_ky": cung_ky,
        "cung_ky_ty_le": cung_ky_ty_le,
        "so_sanh": compare(thay_doi, cung_ky),
        "so_sanh_ty_le": compare(thay_doi_ty_le, cung_ky_ty_le),
        "don_vi": {k: _unit_list(figures.units, k)
                   for k in ("resolved_late", "pending_overdue", "returned")},
        "nhan": {"resolved_in_time": in_time_label},
        "nguyen_nhan": CAUSE,
        "ly_do_tra_lai": RETURN_REASON,
    }
    context["muc_1"] = _render_section_1(context)
    return context


def report_text(figures: Figures) -> str:
    """Section 1 as plain text, one paragraph a line (what the .docx says, to paste)."""
    return "\n".join(report_context(figures)["muc_1"])


def draft_report(figures: Figures, out_path, template=None) -> Path:
    """Render the report .docx from `template` (default: templates/reports/bao-cao-thang.docx)."""
    from docxtpl import DocxTemplate

    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as tmp:
        if template is None:
            template = DEFAULT_TEMPLATE
            if not template.exists():  # e.g. installed without the repository's templates/
                from tthc_xl.report_template import build_template

                template = build_template(Path(tmp) / "bao-cao-thang.docx")
        document = DocxTemplate(str(template))
        document.render(report_context(figures), jinja_env=jinja_env(), autoescape=True)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(out_path))
    return out_path


# --------------------------------------------------------------------------------------------
# Checking a typed report against the figures
# --------------------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_COUNT_AFTER = re.compile(rf"(?:^|[\s(])({_NUM})\s*hồ\s+sơ", re.IGNORECASE)
_COUNT_LEADS = re.compile(rf"(?::|\blà)\s*({_NUM})(?![\d/]|[.,]\d)(?!\s*%)", re.IGNORECASE)
_PERCENT = re.compile(rf"(?:chiếm|đạt|tỷ lệ|tỉ lệ)\s*(?:là\s*)?:?\s*({_NUM})\s*%", re.IGNORECASE)
_BASE = re.compile(rf"trên\s+tổng\s+số\s+({_NUM})", re.IGNORECASE)
_CHANGE = re.compile(
    rf"(tăng|giảm)\s+({_NUM})\s*(hồ\s+sơ|%)\s*so\s+với\s+(cùng\s+kỳ|(?:tháng|quý|năm|kỳ)\s+trước)",
    re.IGNORECASE,
)
_SAME = re.compile(
    r"(không\s+(?:thay\s+)?đổi)\s*so\s+với\s+(cùng\s+kỳ|(?:tháng|quý|năm|kỳ)\s+trước)", re.IGNORECASE
)
_COMPARISON = re.compile(r"so\s+với\s+(?:cùng\s+kỳ(?:\s+năm\s+trước)?|(?:tháng|quý|năm|kỳ)\s+trước)")
_PARENS = re.compile(r"\([^()]*\)")
# "+ " anywhere, "- " at the start or after punctuation (not "Lao động - Thương binh").
_BULLET = re.compile(r"(?:^|\s)\+\s|(?:^|(?<=[.…;:!?]))\s*-\s")


def read_paragraphs(docx_path) -> list[str]:
    """The text of every paragraph of a .docx, body and table cells, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(docx_path))
    out: list[str] = []

    def walk(parent, element):
        for child in element.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                out.append(Paragraph(child, parent).text)
            elif tag == "tbl":
                seen = []  # merged cells repeat; keep the elements so identity is stable
                for row in Table(child, parent).rows:
                    for cell in row.cells:
                        if any(cell._tc is tc for tc in seen):
                            continue
                        seen.append(cell._tc)
                        walk(cell, cell._tc)

    walk(document, document.element.body)
    return out


def _classify(text: str, family: str | None) -> str | None:
    """The quantity a clause is about, from its words (comparisons and parentheses removed)."""
    t = _COMPARISON.sub(" ", _PARENS.sub(" ", text.lower()))
    overdue = "quá hạn" in t or "trễ hạn" in t
    if "còn hạn" in t or "chưa đến hạn" in t or "trong hạn" in t:
        return "pending_in_time"
    if ("đang giải quyết" in t or "đang xử lý" in t) and overdue:
        return "pending_overdue"
    if "đang giải quyết" in t or "đang xử lý" in t:
        return "pending"
    if "trước hạn" in t and "đúng hạn" in t:
        return "resolved_in_time"
    if overdue:
        return "pending_overdue" if family == "pending" and "đã giải quyết" not in t else "resolved_late"
    if "trước hạn" in t:
        return "resolved_early"
    if "đúng hạn" in t:
        return "resolved_on_time"
    if "đã giải quyết" in t or "giải quyết xong" in t:
        return "resolved"
    if "trả lại" in t or "rút hồ sơ" in t:
        return "returned"
    if "trực tuyến" in t:
        return "received_online"
    if "trực tiếp" in t or "bưu chính" in t:
        return "received_direct"
    if "chuyển sang" in t or "từ kỳ trước" in t:
        return "carried_over"
    if "tiếp nhận mới" in t or "mới tiếp nhận" in t or "nhận mới" in t:
        return "received_new"
    if "tiếp nhận" in t or "nhận giải quyết" in t:
        return "received"
    return None


def _count(text: str) -> str | None:
    """The count a clause states: a number followed by "hồ sơ", or after ":"/"là"."""
    main = _PARENS.sub(" ", text)
    hits = [m for m in (_COUNT_AFTER.search(main), _COUNT_LEADS.search(main)) if m]
    if hits:
        return min(hits, key=lambda m: m.start(1)).group(1)
    if re.search(r"\bkhông\s+có\b", main, re.IGNORECASE):
        return "0"
    return None


def _split_top(text: str, separators: str) -> list[str]:
    """Split at any of `separators` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and ch in separators:
            if ch == "," and not text[i + 1:i + 2].isspace():
                continue  # a decimal comma
            if ch == "." and not (text[i + 1:i + 2].isspace() and _starts_sentence(text[i + 1:])):
                continue  # a thousands dot, or an abbreviation
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _starts_sentence(rest: str) -> bool:
    rest = rest.lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0] in "-+")


def clauses(paragraph: str) -> list[tuple[str, str]]:
    """(quantity, clause) for each clause of a paragraph that states a known quantity."""
    text = unicodedata.normalize("NFC", paragraph).replace("\u00a0", " ")
    out: list[tuple[str, str]] = []
    family = None
    for segment in _split_top(text, ";."):
        for piece in _BULLET.split(segment):
            groups: list[list] = []  # [quantity or None, text]
            for part in _split_top(piece, ","):
                quantity = _classify(part, family)
                if quantity and _count(part) is not None:
                    groups.append([quantity, part])
                    if quantity.startswith(("resolved", "pending")):
                        family = quantity.split("_")[0]
                elif groups:
                    groups[-1][1] += "," + part  # "chiếm 99,69 %", a unit name: same clause
                else:
                    groups.append([None, part])
            out += [(q, c.strip(" -:\t")) for q, c in groups if q]
    return out


def _close(found: float, expected: float, written: str) -> bool:
    """Equal at the precision the number was written with ("68,8" matches 68,7511)."""
    decimals = len(written.split(",")[1]) if "," in written else 0
    return abs(found - expected) <= 0.5 * 10 ** -decimals + 1e-9


def check_paragraphs(paragraphs: list[str], figures: Figures) -> list[dict]:
    """Flag every figure in `paragraphs` that contradicts `figures` (see `check_report`)."""
    totals = _with_in_time(figures.totals)
    share = shares(totals)
    previous = _with_in_time(figures.previous) if figures.previous is not None else None
    last_year = (_with_in_time(figures.same_period_last_year)
                 if figures.same_period_last_year is not None else None)
    findings: list[dict] = []
    seen = set()

    def flag(i, clause, found, expected, quantity, kind, message):
        key = (i, quantity, kind, found, expected)
        if key not in seen:
            seen.add(key)
            findings.append({"paragraph": i, "text": clause, "found": found, "expected": expected,
                             "quantity": quantity, "kind": kind, "message": message})

    for i, paragraph in enumerate(paragraphs):
        for quantity, clause in clauses(paragraph):
            label = LABELS[quantity]
            written = _count(clause)
            if written is not None and quantity in totals:
                found = parse_number(written)
                if found != totals[quantity]:
                    expected = so(totals[quantity], pad=0)
                    flag(i, clause, written, expected, quantity, "count",
                         f"{label.capitalize()} ghi {written}, theo số liệu là {expected}.")
                else:
                    for parts_message, expected_sum in _sum_checks(quantity, totals):
                        if found != expected_sum and not (
                            quantity == "received"
                            and found == expected_sum + totals.get("returned", -1)
                        ):
                            expected = so(expected_sum, pad=0)
                            flag(i, clause, written, expected, quantity, "sum",
                                 f"{label.capitalize()} ghi {written}, nhưng {parts_message} "
                                 f"= {expected}.")

            for match in _PERCENT.finditer(clause):
                written_pct = match.group(1)
                if quantity not in share:
                    continue
                found = parse_number(written_pct)
                candidates = [share[quantity]]
                if SHARE_BASE[quantity] != "received" and totals.get("received"):
                    candidates.append(totals[quantity] * 100 / totals["received"])
                if not any(_close(found, c, written_pct) for c in candidates):
                    expected = format_percent(share[quantity])
                    flag(i, clause, f"{written_pct} %", f"{expected} %", quantity, "percent",
                         f"Tỷ lệ {label} ghi {written_pct} %, theo số liệu là {expected} %.")
                break  # the first percentage is the clause's share

            for match in _BASE.finditer(clause):
                base = "received"
                if base in totals and parse_number(match.group(1)) != totals[base]:
                    expected = so(totals[base], pad=0)
                    flag(i, clause, match.group(1), expected, base, "count",
                         f"Tổng số hồ sơ tiếp nhận ghi {match.group(1)}, theo số liệu là {expected}.")

            for match in list(_CHANGE.finditer(clause)) + list(_SAME.finditer(clause)):
                _check_change(match, i, clause, quantity, totals, previous, last_year, flag)
    return findings


def _sum_checks(quantity: str, totals: dict[str, int]):
    """(description, sum of parts) for a total whose parts are all in the figures."""
    sums = {
        "received": [("resolved", "pending"), ("carried_over", "received_new")],
        "resolved": [("resolved_in_time", "resolved_late")],
        "pending": [("pending_in_time", "pending_overdue")],
    }
    for parts in sums.get(quantity, []):
        if all(p in totals for p in parts):
            described = " cộng ".join(f"{LABELS[p]} ({so(totals[p], pad=0)})" for p in parts)
            yield described, sum(totals[p] for p in parts)


def _check_change(match, i, clause, quantity, totals, previous, last_year, flag):
    """Check "tăng 96 hồ sơ / giảm 0,06 % / không đổi so với tháng trước (cùng kỳ)"."""
    against = match.groups()[-1]
    other = last_year if against.lower().startswith("cùng") else previous
    if other is None:
        return
    now, then = shares(totals), shares(other)
    count_diff = totals[quantity] - other[quantity] if quantity in totals and quantity in other else None
    rate_diff = (round(now[quantity], 2) - round(then[quantity], 2)
                 if quantity in now and quantity in then else None)
    if match.re is _CHANGE:
        word, number, unit, _ = match.groups()
        found = (1 if word.lower() == "tăng" else -1) * parse_number(number)
        is_rate = unit == "%"
        if is_rate and (rate_diff is None or _close(found, rate_diff, number)):
            return
        if not is_rate and (count_diff is None or found == count_diff):
            return
    else:  # "không đổi": right if either the count or the share did not change
        is_rate = count_diff is None
        diffs = [d for d in (count_diff, rate_diff) if d is not None]
        if not diffs or any(round(d, 2) == 0 for d in diffs):
            return
    expected = rate_change_phrase(rate_diff) if is_rate else change_phrase(count_diff)
    written = re.split(r"\s+so\s+với", match.group(0))[0]
    where = "cùng kỳ năm trước" if other is last_year else "kỳ trước"
    flag(i, clause, written, expected, quantity, "rate_change" if is_rate else "change",
         f"So với {where}, {LABELS[quantity]} ghi “{written}”, theo số liệu là “{expected}”.")


def check_report(docx_path, figures: Figures) -> list[dict]:
    """Flag every number in a report .docx that contradicts the figures.

    Each finding: {"paragraph": index in `read_paragraphs()`, "text": the clause, "found",
    "expected", "quantity": meaning key ("resolved_in_time" = trước hạn + đúng hạn), "kind":
    "count" | "sum" | "percent" | "change" | "rate_change", "message": in Vietnamese}.
    "sum" flags a total that does not equal the sum of its parts in the figures (2.099 received
    while resolved + pending is 2.063).
    """
    return check_paragraphs(read_paragraphs(docx_path), figures)
