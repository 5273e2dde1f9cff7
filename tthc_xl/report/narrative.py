"""Draft the monthly narrative report (báo cáo) from the consolidated figures, and check one.

The flow is: `Figures` (plain data) → `report_context()` (a pure function: every number
pre-formatted in Vietnamese style, section 1 already written out) → `draft_report()` (a thin
docxtpl renderer over `templates/reports/bao-cao-thang.docx`).

Section 1's wording lives in `SECTION_1` below as Jinja sources, one per paragraph, so the text
pasted from `report_text()` and the text in the .docx are the same. Counts in those sources go
through the `so` filter, which pads small counts to two digits ("04 hồ sơ") as the reports do;
`{{ tong.returned|so(0) }}` prints "4". The same filters are available in the Word template.

`check_report()` reads a report .docx back and flags every figure that contradicts the table.

`figures_from_master()` reads the figures from a master workbook (its table, its settings, the
previous period from `--previous`, the master's own "Tổng cộng kỳ trước" row, or the history
beside it); `add_commands()` registers `tthc-xl report` and `tthc-xl check-report`.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tthc_xl.core.errors import ClerkError
from tthc_xl.core.layouts import templates_dir
from tthc_xl.core.numbers import format_number, format_percent

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
    notes: list[str] = field(default_factory=list)  # where the comparisons came from (Vietnamese)
    # Units that have not reported yet, and how many the master has: the figures are partial
    # when `missing` is not empty. `compared_units`: the comparisons were made on these units
    # only (the same in both periods); `previous_all`: the previous period's totals over all its
    # units, kept when a comparison was restricted or refused (check-report tells a mixed one).
    missing: list[str] = field(default_factory=list)
    unit_count: int = 0
    compared_units: int | None = None
    previous_all: dict[str, int] | None = None

    @property
    def reported_count(self) -> int:
        return self.unit_count - len(self.missing)


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
    """"tăng 0,06 điểm phần trăm", "giảm 1,20 điểm phần trăm", "không đổi" (difference of the
    printed percentages: a rate changes by points, not by a percentage of itself)."""
    diff = round(diff, 2)
    if diff == 0:
        return "không đổi"
    return f"{'tăng' if diff > 0 else 'giảm'} {format_percent(abs(diff))} điểm phần trăm"


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
    # Partial figures: who has reported and who has not, before any figure.
    """{% if chua_gui %}- Số liệu dưới đây tổng hợp từ {{ da_gui }}/{{ so_don_vi }} đơn vị đã gửi báo cáo, chưa phải số liệu
    của cả {{ ky }}; còn {{ chua_gui|length }} đơn vị chưa gửi báo cáo: {{ chua_gui|join(", ") }}.
    {%- if so_sanh_cung_don_vi %} Các so sánh với kỳ trước tính trên cùng {{ so_sanh_cung_don_vi }} đơn vị đã gửi báo cáo ở cả hai kỳ.
    {%- elif khong_so_sanh %} Chưa so sánh với kỳ trước vì hai kỳ không có cùng các đơn vị gửi báo cáo.{% endif %}
    {%- endif %}""",
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
    # The Quyết định 766/QĐ-TTg indicators the table determines, as approximations (core.indicators).
    """{% if chi_so %}- {{ chi_so }}{% endif %}""",
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


def _indicator_sentence(totals: dict[str, int]) -> str:
    """The indicators' sentence, or "" when the table determines none of them."""
    from tthc_xl.core.indicators import determined, paragraph

    found = determined(totals)
    return paragraph(found, []) if found else ""


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
        "chua_gui": list(figures.missing),
        "da_gui": figures.reported_count,
        "so_don_vi": figures.unit_count,
        "ky": _comparison_word(meta.get("ky_bao_cao", "")).replace(" trước", ""),
        "so_sanh_cung_don_vi": figures.compared_units if figures.missing or figures.compared_units else None,
        "khong_so_sanh": figures.missing and figures.previous is None and figures.previous_all is not None,
        "chi_so": _indicator_sentence(figures.totals),
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
                from tthc_xl.report.template import build_template

                template = build_template(Path(tmp) / "bao-cao-thang.docx")
        document = DocxTemplate(str(template))
        document.render(report_context(figures), jinja_env=jinja_env(), autoescape=True)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(out_path))
    return out_path


# --------------------------------------------------------------------------------------------
# Figures from a master workbook
# --------------------------------------------------------------------------------------------

# What the template shows where the master says nothing; the clerk fills these in Word.
DEFAULT_META = {
    "co_quan_chu_quan": "[CƠ QUAN CHỦ QUẢN]",
    "co_quan": "[CƠ QUAN BÁO CÁO]",
    "so": "…/BC-…",
    "dia_danh": "[Địa danh]",
    "ngay": "",
    "ky_bao_cao": "[kỳ báo cáo]",
    "tu_ngay": "…/…/…",
    "den_ngay": "…/…/…",
    "kinh_gui": "[Nơi nhận báo cáo]",
    "nguoi_ky": "[Họ và tên người ký]",
    "chuc_vu": "[Chức vụ]",
}


class ReportError(ClerkError, ValueError):
    """A master or report that cannot be used; the message (Vietnamese) says what to do."""


def _read_master(path, layouts):
    from tthc_xl.files import history

    try:
        data = history.read_master(path, layouts)
    except history.HistoryError as exc:
        raise ReportError(str(exc)) from None
    problem = history.not_a_master(data.path, data.table)
    if problem:
        raise ReportError(problem)
    return data


def _report_date(text: str) -> str:
    """The settings' date as "24/10/2019" (a date cell reads "2019-10-24 00:00:00"); "" if invalid."""
    text = (text or "").strip()
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        text = f"{day:02d}/{month:02d}/{year}"
    try:
        date_phrase(text)
    except ValueError:
        return ""
    return text


def meta_from_settings(settings) -> dict[str, str]:
    """Template fields from the master's settings (period, report number, date, issuer)."""
    from tthc_xl.files.history import dates_in

    meta = {}
    if settings.period:
        meta["ky_bao_cao"] = settings.period
        dates = dates_in(settings.period)
        if len(dates) == 2:
            meta["tu_ngay"], meta["den_ngay"] = (f"{d.day}/{d.month}/{d.year}" for d in dates)
    if settings.report_number:
        meta["so"] = settings.report_number
    if _report_date(settings.report_date):
        meta["ngay"] = _report_date(settings.report_date)
    if settings.issuer:
        meta["co_quan"] = settings.issuer.upper()
    return meta


def figures_from_master(path, previous=None, meta=None, layouts=None) -> Figures:
    """The figures a report quotes, read from a master workbook (any appendix table tthc-xl reads).

    Totals come from the table's "Tổng cộng" row (the sum of the unit rows when it has none),
    units from its unit rows, both by meaning key. The previous period comes from `previous`
    (a previous master's path, or totals by meaning key), else from the master's own "Tổng cộng kỳ
    trước" row, else from the history beside the master (`tthc_xl.files.history`); the same period last
    year from the history. `meta`: template fields overriding the master's settings and defaults.
    Raises ReportError (Vietnamese message) for a file that cannot be used.
    """
    import sqlite3

    from tthc_xl.files import history
    from tthc_xl.core.layouts import load_layouts

    layouts = layouts or load_layouts()
    path = Path(path)
    data = _read_master(path, layouts)
    totals = data.totals()
    if "received" not in totals:
        raise ReportError(
            f"Bảng trong tệp {path.name} không theo mẫu biểu nào có sẵn (mẫu “{data.layout.name}”), nên không "
            "biết cột nào là số hồ sơ tiếp nhận, đã giải quyết…: hãy thêm tệp mẫu vào templates/forms/ "
            "(xem `tthc-xl forms`) rồi chạy lại."
        )
    period = history.parse_period(data.settings.period)
    merged = {**DEFAULT_META, **meta_from_settings(data.settings), **{k: str(v) for k, v in (meta or {}).items()}}
    ky_truoc = merged.get("ky_truoc") or _comparison_word(merged.get("ky_bao_cao", ""))
    notes: list[str] = []
    folder = path.parent

    missing = data.missing()
    before_units = None  # the previous period's units that reported, when known: [(name, values)]

    def from_history(find, what):
        try:
            record = find(folder, period)
        except (sqlite3.Error, history.HistoryError) as exc:
            notes.append(f"Không đọc được lịch sử {history.database_path(folder)}: {exc}")
            return None, None
        if record is None:
            return None, None
        notes.append(f"So sánh với {what}: lịch sử ({record.period.text}, {history.database_path(folder)}).")
        return dict(record.totals), [(name, values) for name, values in record.units if values]

    before = None
    if isinstance(previous, dict):
        before = dict(previous)
    elif previous is not None:
        previous_data = _read_master(previous, layouts)
        before = previous_data.totals()
        before_units = [(name, {}) for name in previous_data.missing()] + previous_data.units()
        notes.append(f"So sánh với {ky_truoc}: bảng tổng hợp {Path(previous).name}"
                     + (f" ({previous_data.settings.period})." if previous_data.settings.period else "."))
        previous_period = history.parse_period(previous_data.settings.period)
        if period.parsed and previous_period.parsed and period.previous_key() and previous_period.key != period.previous_key():
            notes.append(f"Lưu ý: bảng tổng hợp kỳ trước ghi kỳ “{previous_period.text}”, không phải kỳ liền trước "
                         f"kỳ “{period.text}”; hãy kiểm tra lại tệp --previous.")
    elif data.previous is not None:
        before = data.previous
        notes.append(f"So sánh với {ky_truoc}: dòng “Tổng cộng kỳ trước” của bảng tổng hợp.")
    else:
        before, before_units = from_history(history.previous_record, ky_truoc)
    last_year, last_year_units = from_history(history.last_year_record, "cùng kỳ năm trước")
    now = data.units()
    before, compared, previous_all = comparable(now, missing, before, before_units)
    last_year, _, _ = comparable(now, missing, last_year, last_year_units)
    if previous_all is not None and before is None:
        notes.append(f"Không so sánh với {ky_truoc}: hai kỳ không có cùng các đơn vị đã gửi báo cáo "
                     f"(kỳ này {len(now)}/{len(now) + len(missing)} đơn vị).")
    elif compared is not None:
        notes.append(f"So sánh với {ky_truoc} trên cùng {compared} đơn vị đã gửi báo cáo ở cả hai kỳ.")
    if before is None:
        if period.text and not period.parsed:
            notes.append(f"Không nhận ra kỳ báo cáo “{period.text}” nên không tìm được kỳ trước trong lịch sử.")
        notes.append(f"Chưa có số liệu kỳ trước: báo cáo không so sánh với {ky_truoc} "
                     "(dùng --previous BẢNG_TỔNG_HỢP_KỲ_TRƯỚC, hoặc tổng hợp kỳ trước trong cùng thư mục).")
    return Figures(totals=totals, units=now, previous=before, same_period_last_year=last_year,
                   meta=merged, notes=notes, missing=missing, unit_count=len(now) + len(missing),
                   compared_units=compared, previous_all=previous_all)


def comparable(now, missing, before, before_units):
    """(totals to compare with, how many units they cover, the other period's full totals).

    Whole periods compare as they are. When either period is partial (a unit has not reported),
    the other period's figures are summed over this period's reporting units, which must all have
    reported then; otherwise there is no comparison. `before_units`: [(name, values)] of the other
    period, a unit with no values not reported; None when only its totals are known.
    """
    if before is None:
        return None, None, None
    partial = bool(missing) or (before_units is not None and any(not values for _, values in before_units))
    if not partial:
        return before, None, None
    then = {name: values for name, values in (before_units or []) if values}
    names = [name for name, _ in now]
    if before_units is None or not names or any(name not in then for name in names):
        return None, None, before
    keys = dict.fromkeys(key for name in names for key in then[name])
    same = {key: sum(then[name].get(key, 0) for name in names) for key in keys}
    return same, len(names), before


def master_findings(path, layouts=None, previous=None) -> int:
    """How many errors the master's table still has (the report quotes the table as it is); with the
    previous master, or else the previous period in the history beside it, also each unit's
    carried-over figure against its pending one then, as `consolidate` counts them."""
    from tthc_xl.core.layouts import load_layouts
    from tthc_xl.core.model import ERROR
    from tthc_xl.core.rules import check_table, known_from_previous, known_from_record
    from tthc_xl.files.history import previous_of

    layouts = layouts or load_layouts()
    data = _read_master(path, layouts)
    if previous is not None:
        known = known_from_previous(_read_master(previous, layouts).table, data.table.layout)
    else:
        record, _ = previous_of(path, data.settings.period)
        known = known_from_record(record, data.table.layout) if record else None
    findings = check_table(data.table, known=known)
    return sum(1 for f in findings if f.severity == ERROR)
