"""Submission and approval: templates, uploads checked on arrival, and the approval workflow.

A province (or an enterprise) fills the Excel template generated from the plan, uploads it,
reads the validation report at once (the same checks as ``mic2025 import``: every problem
with its sheet, row and column), fixes and uploads again, and submits. A province running
its own mic2025 platform may upload that platform's SDMX-CSV export instead, read by the
same step as ``mic2025 import`` and held to the same rules. An approver of that
province approves it, or returns it with a comment and reasons on single figures. With
two approval levels (the default) the national level then accepts it (or returns it); the
final level's decision stores the figures as a vintage of observations, in the same
transaction as the decision and its audit entry. Nobody decides on a submission they
uploaded or submitted, at any level. Approval locks the submission; an administrator may
unlock it with a reason (the stored vintage stays: the store is append-only, and a
corrected file arrives as a new vintage of revisions).

States: ``draft`` → ``submitted`` → (two levels: ``endorsed`` →) ``approved`` (locked), or
``returned`` from ``submitted`` or ``endorsed`` → (new upload) ``draft`` … One submission
per (kind, area, enterprise, year) is open at a time; after approval a new upload opens a
new one (a revision).

Every function checks :func:`~mic2025.permissions.require` itself, inside its
transaction, so no caller — route, command or script — can skip the check. The records are
:mod:`mic2025.store.submissions`.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from .. import reference
from ..catalogue import known_series
from ..citation import GRADES
from ..errors import Mic2025Error, Problem, Words, said
from ..i18n import Lang, has, t
from ..ingest.columns import resolve_header
from ..ingest.limits import MIB, Limits, ProblemLog
from ..ingest.load import is_sdmx, table_rows
from ..ingest.messages import localise
from ..ingest.readers import EXCEL_SUFFIXES, Table, check_workbook, read_table
from ..ingest.validate import metric_units, validated_rows
from ..observation import FLAGS, Observation
from ..permissions import Action, Actor, Forbidden, Resource, allowed, require
from ..plan import Metric, Plan, Text
from ..store import submissions as rows
from ..store.audit import record
from ..store.db import StoreEngine as Engine
from ..store.db import Writer, begin_write
from ..store.repo import ImportResult, Store
from ..store.submissions import NotFound, Submission, SubmissionSummary

__all__ = ["Forbidden", "NotFound", "Submission", "SubmissionSummary"]

DATA_SHEET = "数据"
GUIDE_SHEET = "说明"
#: the template's sheet with one filled row, labelled an example and never read on upload
EXAMPLE_SHEET = "示例 example"
#: the template's columns: (header as written, long-format column); the indicator's name
#: and the unit in words are for the reader and passed over on import
TEMPLATE_COLUMNS = (
    ("指标", "indicator"), ("指标名称", "indicator_name"), ("地区", "area"), ("年份", "year"),
    ("数值", "value"), ("单位", "unit"), ("单位说明", "unit_name"), ("口径", "scope"),
    ("发布机构", "publisher"), ("出版物", "publication"), ("发布日期", "publication_date"),
    ("位置", "locator"), ("转引自", "retrieved_from"), ("来源等级", "grade"), ("标记", "flags"),
    ("备注", "note"),
)
#: columns the template fills in; a row with nothing else is an indicator not reported
_PREFILLED = {"indicator", "indicator_name", "area", "year", "unit", "unit_name"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: what one upload may hold: a province's return is tens to thousands of rows; the first
#: 1,000 problems are kept in its report and the others counted
UPLOAD_LIMITS = Limits(max_file_bytes=MAX_UPLOAD_BYTES, max_rows=50_000,
                       max_unpacked_bytes=64 * MIB)
#: problems on one page of a submission's report (API default and the web page)
PROBLEM_PAGE = 100


class WorkflowError(Mic2025Error):
    """A workflow step that the submission's state does not allow (HTTP 409)."""


class UploadTooLarge(WorkflowError):
    """The uploaded file is larger than :data:`MAX_UPLOAD_BYTES` (answered 413)."""


class OwnSubmission(Forbidden):
    """A decision on a submission its own uploader, submitter or province approver may not
    take, whatever grants they hold (HTTP 403)."""


#: the approval levels a platform may run: 1, the province's approval is final and stores
#: the figures (the workflow before 0009); 2, the province approves (``endorsed``) and the
#: national level accepts, which stores them
APPROVAL_LEVELS = (1, 2)
DEFAULT_APPROVAL_LEVELS = 2
#: the states in which a submission awaits a decision and its file cannot change
AWAITING = ("submitted", "endorsed")
#: the actions that let a person comment on the figures of a submission
COMMENTING: tuple[Action, ...] = ("submission:upload", "submission:approve",
                                  "submission:return", "submission:accept")
#: the longest note on one figure, in characters
MAX_NOTE = 2000


def page(s: Submission, offset: int = 0, limit: int = PROBLEM_PAGE) -> dict[str, Any]:
    """One submission with one page of its report's problems (the API's answer)."""
    return {**s.model_dump(exclude={"problems"}),
            "problems": [p.model_dump() for p in s.problems[offset:offset + limit]],
            "problems_listed": len(s.problems), "problems_offset": offset,
            "problems_limit": limit}


def _check(actor: Actor, action: Action, resource: Resource) -> None:
    require(actor, action, resource)


def state(status: str) -> Words:
    """A submission's state in words, both languages (for an error a page says)."""
    return Words(t(f"state.{status}", "zh"), t(f"state.{status}", "en")) \
        if has(f"state.{status}") else Words(status, status)


def figure_words(plan: Plan | None, key: str) -> Words:
    """A figure named as a page says it: indicator name, area name, period (not codes)."""
    try:
        indicator, area, _sector, period, _scope, _source = json.loads(key)
    except (ValueError, TypeError):
        return Words(key, key)
    try:
        name = plan.metric(indicator).name if plan is not None else None
    except KeyError:
        name = None
    def one(lang: Lang) -> str:
        what = name.get(lang) if name is not None else str(indicator)
        return " ".join(p for p in (what, reference.area_label(str(area), lang), str(period))
                        if p)
    return Words(one("zh"), one("en"))


#: areas with no provincial reporting round (Taiwan, Hong Kong, Macao)
NO_ROUND = ("71", "81", "82")


def plan_areas(plan: Plan) -> list[reference.Code]:
    """The areas whose figures the plan asks for, in order: the plan's own area (its
    ``area``: 全国 for the national plan, 广东省 for a province's), then the areas of the
    region table below it — the provinces with a reporting round under the national plan;
    under a province's plan none, as the bundled table stops at provinces."""
    own = reference.area(plan.area)
    below = [c for c in reference.areas().values()
             if c.code != own.code and c.code[:2] not in NO_ROUND
             and (c.level == "province" if own.code == reference.NATIONAL
                  else c.code[:2] == own.code[:2])]
    return [own, *below]


def check_area(plan: Plan, area: str) -> None:
    """Refuse an area the plan asks no figures of (:func:`plan_areas`), naming both."""
    reference.area(area)  # UnknownCodeError for a code that does not exist
    if area not in {c.code for c in plan_areas(plan)}:
        raise WorkflowError(f"this platform's plan asks figures of {plan.area} and the areas "
                            f"below it only, not of {area}").saying(
            "error.area_outside_plan", area=reference.area_words(area),
            plan_area=reference.area_words(plan.area))


# ------------------------------------------------------------------------------ template


def template_filename(area: str, year: int, enterprise: str = "") -> str:
    who = enterprise or area
    return f"mic2025-{who}-{year}.xlsx"


def template_rows(plan: Plan, year: int) -> list[tuple[Metric, int]]:
    """The (indicator, year) rows the template and the entry form ask for, in order.

    Each indicator of the plan for ``year``, then each for the plan's base year (when it
    is earlier): without base-year figures a province's progress cannot be judged, so the
    template asks for them too; a row left empty is simply not reported.
    """
    rows: list[tuple[Metric, int]] = [(ind, year) for ind in plan.indicators]
    if plan.base_year < year:
        rows += [(ind, plan.base_year) for ind in plan.indicators]
    return rows


def build_template(plan: Plan, area: str, year: int, *, enterprise: str = "") -> bytes:
    """The Excel template of one area (or enterprise) and year, generated from the plan.

    Sheet 数据 has one row per indicator and year (:func:`template_rows`) with its code,
    name, the area, the year and the unit (as a code and in words) filled in, and in-sheet
    data validation: indicator codes from the list in sheet 说明, the area fixed,
    whole-number years, numbers inside the indicator's range, units from those the
    indicator accepts, and flags from the known ones. Sheet 示例 holds one filled row,
    labelled an example; it is never read on upload.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..ingest.messages import unit_words

    code = reference.area(area)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DATA_SHEET
    guide = wb.create_sheet(GUIDE_SHEET)
    header_font = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    base_fill = PatternFill("solid", fgColor="E2EFDA")
    ws.append([h for h, _ in TEMPLATE_COLUMNS])
    for cell in ws[1]:
        cell.font = header_font
    indicators = list(plan.indicators)
    guide.append(["指标代码 code", "指标名称", "Indicator", "单位 unit", "单位说明",
                  "Unit in words", "可用单位 units", "取值范围 range", "定义 definition"])
    for cell in guide[1]:
        cell.font = header_font
    for ind in indicators:
        lo, hi = ind.value_range
        guide.append([ind.id, ind.name.zh, ind.name.en, ind.unit, unit_words(ind.unit, "zh"),
                      unit_words(ind.unit, "en"),
                      ", ".join(f"{u}（{unit_words(u, 'zh')}）" for u in metric_units(ind)),
                      f"{'' if lo is None else lo} – {'' if hi is None else hi}",
                      ind.definition.text.zh])
    last = len(indicators) + 1
    col = {name: i for i, (_, name) in enumerate(TEMPLATE_COLUMNS)}

    def letter(name: str) -> str:
        return chr(ord("A") + col[name])

    ind_list = DataValidation(type="list", formula1=f"'{GUIDE_SHEET}'!$A$2:$A${last}",
                              allow_blank=False, showErrorMessage=True,
                              errorTitle="指标 indicator",
                              error="请从“说明”表的指标代码中选择 / pick a code from sheet 说明")
    area_list = DataValidation(type="list", formula1=f'"{code.code}"', showErrorMessage=True,
                               error=f"本模板只填 {code.code}（{code.name_zh}）")
    year_rule = DataValidation(type="whole", operator="between", formula1="1949",
                               formula2="2100", showErrorMessage=True,
                               error="年份为 1949–2100 的整数 / a year 1949–2100")
    flag_list = DataValidation(type="list", formula1='"' + ",".join(sorted(FLAGS)) + '"',
                               allow_blank=True, showErrorMessage=True)
    grade_list = DataValidation(type="list", formula1='"' + ",".join(GRADES) + '"',
                                allow_blank=True, showErrorMessage=True,
                                error="转载等级 / grade of the copy: " + ", ".join(GRADES))
    for dv in (ind_list, area_list, year_rule, flag_list, grade_list):
        ws.add_data_validation(dv)
    unit_rules: dict[str, DataValidation] = {}
    number_rules: dict[str, DataValidation] = {}
    rows = template_rows(plan, year)
    for r, (metric, row_year) in enumerate(rows, start=2):
        values = {"indicator": metric.id, "indicator_name": metric.name.zh, "area": code.code,
                  "year": row_year, "unit": metric.unit, "unit_name": unit_words(metric.unit, "zh")}
        for name, value in values.items():
            ws.cell(row=r, column=col[name] + 1, value=value)
        ws.cell(row=r, column=col["area"] + 1).number_format = "@"
        ws.cell(row=r, column=col["indicator"] + 1).comment = Comment(
            f"{metric.name.zh}\n{metric.name.en}", "mic2025")
        for name in ("value", "publisher", "publication", "publication_date"):
            ws.cell(row=r, column=col[name] + 1).fill = fill if row_year == year else base_fill
        if metric.id not in unit_rules:  # one rule per indicator, over its rows of both years
            unit_rules[metric.id] = DataValidation(
                type="list", formula1='"' + ",".join(metric_units(metric)) + '"',
                showErrorMessage=True, error="单位不可用 / unit not accepted")
            lo, hi = metric.value_range
            if lo is not None or hi is not None:
                number_rules[metric.id] = DataValidation(
                    type="decimal", operator="between",
                    formula1=str(-1e15 if lo is None else lo),
                    formula2=str(1e15 if hi is None else hi), showErrorMessage=True,
                    error=f"数值应在 {lo} 至 {hi} 之间 / a number from {lo} to {hi}")
            else:
                number_rules[metric.id] = DataValidation(
                    type="decimal", operator="between", formula1="-1E+15", formula2="1E+15",
                    showErrorMessage=True, error="请填数字 / a number")
            ws.add_data_validation(unit_rules[metric.id])
            ws.add_data_validation(number_rules[metric.id])
        unit_rules[metric.id].add(f"{letter('unit')}{r}")
        number_rules[metric.id].add(f"{letter('value')}{r}")
    end = max(len(rows) + 1, 200)
    ind_list.add(f"{letter('indicator')}2:{letter('indicator')}{end}")
    area_list.add(f"{letter('area')}2:{letter('area')}{end}")
    year_rule.add(f"{letter('year')}2:{letter('year')}{end}")
    flag_list.add(f"{letter('flags')}2:{letter('flags')}{end}")
    grade_list.add(f"{letter('grade')}2:{letter('grade')}{end}")
    for name, width in (("indicator", 30), ("indicator_name", 40), ("unit_name", 18),
                        ("publisher", 18), ("publication", 30), ("retrieved_from", 30),
                        ("note", 30), ("scope", 18)):
        ws.column_dimensions[letter(name)].width = width
    ws.freeze_panes = "C2"
    guide.column_dimensions["A"].width = 34
    guide.column_dimensions["B"].width = 28
    guide.column_dimensions["C"].width = 40
    guide.append([])
    guide.append([f"模板 template: {code.name_zh} {code.name_en} {year}"
                  + (f", enterprise {enterprise}" if enterprise else "")])
    guide.append(["未填数值的行视为本期未报送，不会被校验。 Rows left without a value are not "
                  "reported this round and are not checked."])
    guide.append([f"黄色行为 {year} 年数值；绿色行为基期 {plan.base_year} 年数值，"
                  "省内尚无基期数据时请一并填报。 "
                  f"Yellow rows are {year}; green rows are the base year {plan.base_year}: "
                  "give them when the province has no base-year figures yet."])
    guide.append([f"“{EXAMPLE_SHEET}”表是填好的示例行，上传时不会读取。 Sheet "
                  f"'{EXAMPLE_SHEET}' is a filled example row; it is never read on upload."])
    _example_sheet(wb.create_sheet(EXAMPLE_SHEET), plan, code, year, header_font)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _example_sheet(ws: Any, plan: Plan, code: reference.Code, year: int, font: Any) -> None:
    from ..ingest.messages import unit_words

    ws.append(["示例 EXAMPLE — 仅供参考，不会导入 / for reference only, never imported"])
    ws["A1"].font = font
    ws.append([h for h, _ in TEMPLATE_COLUMNS])
    ind = plan.indicators[0]
    lo, hi = ind.value_range
    value = ind.baseline.get(max(ind.baseline)) if ind.baseline else \
        (lo if lo is not None else 0.0) + (1.0 if hi is None else (hi - (lo or 0.0)) / 10)
    filled: dict[str, object] = {
        "indicator": ind.id, "indicator_name": ind.name.zh, "area": code.code, "year": year,
        "value": value, "unit": ind.unit, "unit_name": unit_words(ind.unit, "zh"),
        "publisher": f"{code.name_zh}统计局（示例）",
        "publication": f"《{code.name_zh}统计年鉴{year + 1}》（示例）",
        "publication_date": f"{year + 1}-09-30", "locator": "表 12-3（示例）",
        "note": "示例 example"}
    ws.append([filled.get(name, "") for _, name in TEMPLATE_COLUMNS])


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class Checked:
    observations: list[Observation]
    #: the problems kept (the first :attr:`Limits.max_problems` found)
    problems: list[Problem]
    rows: int
    skipped: int
    #: every problem found
    problem_count: int
    #: what was assumed in reading the file (a legacy encoding); not problems
    notes: tuple[Problem, ...] = ()


def check_upload(data: bytes, filename: str, plan: Plan, area: str, *,
                 limits: Limits = UPLOAD_LIMITS) -> Checked:
    """Read and validate an upload as ``mic2025 import`` would, plus the template's rules.

    The file is the long format (the template, CSV or xlsx) or SDMX-CSV of the MIC2025
    dataflow (what another mic2025 platform exports at ``/api/export/sdmx-csv``), read by
    the same step as ``mic2025 import`` (:func:`~mic2025.ingest.load.table_rows`), within
    ``limits``. Template rows left without a value (nothing but the pre-filled columns)
    are indicators not reported this round: they are skipped, not rejected. Every figure
    must be for the submission's province or one of its cities.
    """
    source = PurePath(filename).name or "upload"
    suffix = PurePath(source).suffix
    sheets = data_sheets(data, limits) if suffix.lower() in EXCEL_SUFFIXES else None
    tables, found = read_table(data, source, suffix, sheets=sheets, limits=limits)
    problems = ProblemLog(limits.max_problems)
    problems.extend(found)
    raws = []
    skipped = 0
    notes = tuple(
        Problem(source, None, None, f"the file is not UTF-8 text; it was read as "
                f"{tb.encoding.upper()}", key="ingest.encoding_assumed",
                args=(("encoding", tb.encoding),))
        for tb in tables if tb.encoding)
    for table in tables:
        if not is_sdmx(table):  # an SDMX row is a whole observation: none is "not reported"
            table, dropped = drop_unreported(table)
            skipped += dropped
        rows, _ = table_rows(table, plan, problems)
        raws.extend(rows)
    if not problems and not raws:
        problems.add(Problem(source, None, None, "no figures: every row is empty; fill in "
                             "the 数值 (value) and 出版物 (publication) of what you report",
                             key="ingest.no_figures"))
    good = validated_rows(raws, plan, problems)
    for raw, o in good:
        # a province's submission holds its own and its cities' figures; the national one
        # (the national plan's own area) the national figures only
        if (o.area[:2] != area[:2] or o.area == reference.NATIONAL) if area != reference.NATIONAL \
                else o.area != reference.NATIONAL:
            problems.add(Problem(source, raw.row, raw.names.get("area", "area"),
                                 f"this submission is for {area} "
                                 f"({reference.area(area).name_zh}); a figure for "
                                 "another area belongs in that area's submission",
                                 sheet=raw.sheet, value=o.area, key="ingest.other_area",
                                 args=(("indicator", o.indicator), ("area", area),
                                       ("other", o.area))))
    kept = sorted(problems.kept, key=lambda p: (p.sheet or "", p.row or 0))
    return Checked([o for _, o in good] if not problems else [], kept, len(raws), skipped,
                   problems.total, notes)


def data_sheets(data: bytes, limits: Limits) -> list[str] | None:
    """The sheets of an uploaded workbook that hold figures (not the guide or the example),
    or ``None`` for a CSV or a workbook the reader will refuse — shared by the upload and the
    entry form, which read a saved draft back the same way."""
    import zipfile

    from openpyxl import load_workbook

    if check_workbook(data, "upload", limits) is not None:
        return None  # read_table refuses it, before openpyxl parses any of it
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None  # read_table reports the unreadable workbook
    try:
        names = [n for n in wb.sheetnames if n not in (GUIDE_SHEET, EXAMPLE_SHEET)]
    finally:
        wb.close()
    return names or None


def drop_unreported(table: Table) -> tuple[Table, int]:
    """The table without the template's rows that were left empty (only the prefilled
    columns filled), and how many were dropped."""
    used = {i for _, cells in table.rows for i, c in enumerate(cells) if _filled(c)}
    found, _ = resolve_header(table.header, used, source=table.source, sheet=table.sheet)
    if "value" not in found:
        return table, 0
    others = [i for name, i in found.items() if name not in _PREFILLED]
    kept = [(n, cells) for n, cells in table.rows
            if any(_filled(cells[i]) for i in others if i < len(cells))
            or any(_filled(c) for i, c in enumerate(cells) if i >= len(table.header))]
    return Table(table.source, table.sheet, table.header, kept), len(table.rows) - len(kept)


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def problem_dicts(problems: Sequence[Problem], plan: Plan | None = None, *,
                  level: str = "error") -> list[dict[str, Any]]:
    """Problems as a report keeps them; with the plan, each says itself in both languages
    naming indicators by name (:func:`mic2025.ingest.messages.localise`)."""
    series = known_series(plan) if plan is not None else {}
    return [{"sheet": p.sheet, "row": p.row, "column": p.column, "value": p.value,
             "message": p.message, "level": level,
             "messages": localise(p, series) if plan is not None else {}}
            for p in problems]


# ------------------------------------------------------------------------------ workflow


def get(engine: Engine, actor: Actor, submission_id: int) -> Submission:
    s = rows.get(engine, submission_id)
    _check(actor, "submission:read", s.resource)
    return s


def content(engine: Engine, actor: Actor, submission_id: int) -> tuple[str, bytes]:
    s = get(engine, actor, submission_id)
    return s.filename, rows.content(engine, s.id)


def list_for(engine: Engine, actor: Actor, *, year: int | None = None,
             area: str | None = None, status: str | None = None) -> list[SubmissionSummary]:
    """The submissions ``actor`` may read, newest first, with their problems counted only."""
    found = rows.listing(engine, year=year, area=area, status=status)
    return [s for s in found if allowed(actor, "submission:read", s.resource)]


def upload(engine: Engine, plan: Plan, actor: Actor, *, area: str, year: int, filename: str,
           data: bytes, enterprise: str = "", ip: str = "") -> Submission:
    """Check a file and keep it as the open submission of its area and year (or a new one).

    The file is kept whether or not it is valid, with its validation report; only a valid
    one can be submitted.
    """
    check_area(plan, area)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"the file is {len(data)} bytes; uploads are limited to "
                             f"{MAX_UPLOAD_BYTES} bytes").saying(
            "error.too_large", size=f"{len(data):,}", limit=f"{MAX_UPLOAD_BYTES:,}")
    kind = "enterprise" if enterprise else "province"
    resource = Resource("submission", area=area, enterprise=enterprise)
    _check(actor, "submission:upload", resource)
    checked = check_upload(data, filename, plan, area)
    stamp = datetime.now(UTC)
    values = rows.file_values(
        filename=PurePath(filename).name[:200] or "upload",
        sha256=hashlib.sha256(data).hexdigest(), data=data, rows=checked.rows,
        problem_count=checked.problem_count,
        problems=problem_dicts(checked.problems, plan)
        + problem_dicts(checked.notes, plan, level="note"),
        updated_at=stamp)
    with begin_write(engine) as conn:
        current = rows.open_one(conn, kind=kind, area=area, enterprise=enterprise, year=year)
        if current is not None and current.status in AWAITING:
            raise WorkflowError(f"submission {current.id} for {area} {year} is awaiting "
                                "approval; it can be changed only after it is returned"
                                ).saying("error.awaiting", id=current.id,
                                         area=reference.area_words(area), year=year)
        if current is None:
            before = None
            after = rows.insert_submission(conn, kind=kind, area=area, enterprise=enterprise,
                                           year=year, created_by=actor.username,
                                           created_at=stamp, **values)
        else:
            before = current.snapshot()
            after = rows.change(conn, current.id, **values)
        record(conn, actor, "submission.upload", "submission", str(after.id), before=before,
               after=after.snapshot(), ip=ip, subject=after)
    return after


def submit(engine: Engine, actor: Actor, submission_id: int, *, ip: str = "") -> Submission:
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        _check(actor, "submission:submit", s.resource)
        if s.status not in ("draft", "returned"):
            raise WorkflowError(f"submission {s.id} is {s.status}; only a draft or a returned "
                                "submission can be submitted"
                                ).saying("error.not_submittable", id=s.id, status=state(s.status))
        if s.problem_count:
            raise WorkflowError(f"submission {s.id} has {s.problem_count:,} problem(s); fix "
                                "the file and upload it again before submitting"
                                ).saying("error.has_problems", id=s.id, n=f"{s.problem_count:,}")
        if s.status == "returned" and not s.rows:
            raise WorkflowError(f"submission {s.id} holds no figures").saying(
                "error.no_figures", id=s.id)
        stamp = datetime.now(UTC)
        after = rows.change(conn, s.id, status="submitted", submitted_by=actor.username,
                            submitted_at=stamp, updated_at=stamp)
        record(conn, actor, "submission.submit", "submission", str(s.id),
               before=s.snapshot(), after=after.snapshot(), ip=ip, subject=after)
    return after


def approve(engine: Engine, store: Store, plan: Plan, actor: Actor, submission_id: int, *,
            comment: str = "", ip: str = "",
            after_commit: Callable[[ImportResult], Any] | None = None,
            levels: int = DEFAULT_APPROVAL_LEVELS,
            notes: Mapping[str, str] | None = None) -> Submission:
    """The province's approval. With one level it is final: approve and lock, and a
    province's figures become one vintage in the same transaction. With two (the default)
    the submission becomes ``endorsed`` and awaits national acceptance (:func:`accept`),
    which stores the figures.

    Nobody approves a submission they uploaded or submitted (:class:`OwnSubmission`),
    whatever grants they hold. ``notes`` are comments on single figures (figure key →
    text, see :func:`note_key`), stored with the approval.

    ``after_commit`` is called with the import's result once the vintage has committed (the
    platform runs the early-warning rules there); it never undoes the approval.
    """
    _levels(levels)
    ahead = _read_ahead(engine, plan, actor, "submission:approve", submission_id, "submitted")
    result: ImportResult | None = None
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        _check(actor, "submission:approve", s.resource)
        if s.status != "submitted":
            raise WorkflowError(f"submission {s.id} is {s.status}; only a submitted one can be "
                                "approved").saying("error.not_approvable", id=s.id,
                                                   status=state(s.status))
        read = _as_read(conn, plan, s, ahead)
        _not_own(read, actor)
        final = levels == 1
        result = _store_figures(conn, store, actor, read, final=final,
                                how=f"approved by {actor.username}")
        stamp = datetime.now(UTC)
        after = rows.change(conn, s.id, status="approved" if final else "endorsed",
                            decided_by=actor.username, decided_at=stamp, updated_at=stamp,
                            comment=comment, vintage_id=None if result is None else result.vintage)
        written = _write_notes(conn, plan, s, notes, "comment", actor, stamp, read=read)
        record(conn, actor, "submission.approve", "submission", str(s.id),
               before=s.snapshot(), after=after.snapshot() | written, comment=comment, ip=ip,
               subject=after)
    if after_commit is not None and result is not None and not result.unchanged:
        after_commit(result)
    return after


def accept(engine: Engine, store: Store, plan: Plan, actor: Actor, submission_id: int, *,
           comment: str = "", ip: str = "",
           after_commit: Callable[[ImportResult], Any] | None = None,
           notes: Mapping[str, str] | None = None) -> Submission:
    """National acceptance of an ``endorsed`` submission (the second approval level): it is
    approved and locked, and a province's figures become one vintage, in one transaction.

    Neither whoever uploaded or submitted it nor the province's approver may accept it.
    """
    ahead = _read_ahead(engine, plan, actor, "submission:accept", submission_id, "endorsed")
    result: ImportResult | None = None
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        _check(actor, "submission:accept", s.resource)
        if s.status != "endorsed":
            raise WorkflowError(f"submission {s.id} is {s.status}; only one approved by its "
                                "province awaits national acceptance"
                                ).saying("error.not_endorsed", id=s.id, status=state(s.status))
        read = _as_read(conn, plan, s, ahead)
        _not_own(read, actor, approver=s.decided_by)
        result = _store_figures(conn, store, actor, read, final=True,
                                how=f"approved by {s.decided_by}, accepted by "
                                    f"{actor.username}")
        stamp = datetime.now(UTC)
        after = rows.change(conn, s.id, status="approved", decided_by=actor.username,
                            decided_at=stamp, updated_at=stamp, comment=comment,
                            vintage_id=None if result is None else result.vintage)
        written = _write_notes(conn, plan, s, notes, "comment", actor, stamp, read=read)
        record(conn, actor, "submission.accept", "submission", str(s.id),
               before=s.snapshot(), after=after.snapshot() | written, comment=comment, ip=ip,
               subject=after)
    if after_commit is not None and result is not None and not result.unchanged:
        after_commit(result)
    return after


def people_of(engine: Engine, s: Submission) -> set[str]:
    """Who may not take the next decision on ``s``: whoever uploaded or submitted it, and,
    once it is endorsed, the province's approver."""
    with engine.connect() as conn:
        found = rows.contributors(conn, s)
    return found | ({s.decided_by} if s.status == "endorsed" and s.decided_by else set())


def _levels(levels: int) -> None:
    if levels not in APPROVAL_LEVELS:
        raise WorkflowError(f"approval levels must be 1 (the province's approval is final) or "
                            f"2 (province approval, then national acceptance); got {levels}"
                            ).saying("error.levels", levels=levels)


@dataclass(frozen=True)
class _Read:
    """What a decision needs to know of a submission besides its row: who contributed to it
    and, for a province's return, its file checked again against the plan."""

    submission: Submission
    contributors: frozenset[str]
    checked: Checked | None


def _read_ahead(engine: Engine, plan: Plan, actor: Actor, action: Action, submission_id: int,
                status: str) -> _Read | None:
    """Read and check a submission before asking for the turn to write.

    Checking the file again is most of a decision's work, and writers take the turn one at a
    time: done inside the turn, it made every writer queued behind wait for it. The reading
    is used inside the turn only if the submission's row is still what was read (any
    upload, submission or decision since changes it: its status or time of change); else it
    is done again there. None when there is nothing worth reading ahead: no such
    submission, a state the decision refuses, or an actor it would refuse (the turn's own
    checks then say why, as before).
    """
    with engine.connect() as conn:
        try:
            s = rows.load(conn, submission_id)
        except NotFound:
            return None
        if s.status != status or not allowed(actor, action, s.resource):
            return None
        people = frozenset(rows.contributors(conn, s))
        data = rows.content_in(conn, s.id) if s.kind == "province" else None
    checked = None if data is None else check_upload(data, s.filename, plan, s.area)
    return _Read(s, people, checked)


def _as_read(conn: Writer, plan: Plan, s: Submission, ahead: _Read | None) -> _Read:
    """The reading of ``s`` in the writer's transaction: the one made ahead while ``s`` is
    unchanged since, else made now."""
    if ahead is not None and ahead.submission == s:
        return ahead
    people = frozenset(rows.contributors(conn, s))
    checked = (check_upload(rows.content_in(conn, s.id), s.filename, plan, s.area)
               if s.kind == "province" else None)
    return _Read(s, people, checked)


def _not_own(read: _Read, actor: Actor, *, approver: str = "") -> None:
    """Refuse a decision on one's own submission (four eyes at every level)."""
    s = read.submission
    if actor.username in read.contributors:
        raise OwnSubmission(f"{actor.username} uploaded or submitted submission {s.id}; "
                            "nobody approves their own submission, at any level"
                            ).saying("error.own_submission", user=actor.username, id=s.id)
    if approver and actor.username == approver:
        raise OwnSubmission(f"{actor.username} approved submission {s.id} for the province; "
                            "its national acceptance needs another person"
                            ).saying("error.own_endorsement", user=actor.username, id=s.id)


def _store_figures(conn: Writer, store: Store, actor: Actor, read: _Read, *,
                   final: bool, how: str) -> ImportResult | None:
    """Refuse a province's file that no longer validates; when ``final``, store its figures
    as one vintage."""
    s, checked = read.submission, read.checked
    if checked is None:
        return None  # enterprise returns are kept, never turned into observations
    if checked.problem_count:  # the plan changed since upload: refuse, not store
        raise WorkflowError(f"submission {s.id} no longer validates against the plan "
                            f"({checked.problem_count:,} problem(s)); return it").saying(
            "error.no_longer_valid", id=s.id, n=f"{checked.problem_count:,}")
    if not final:
        return None
    return store.import_observations(
        checked.observations, source_name=f"submission {s.id}: {s.filename}",
        sha256=None, kind="import", actor=actor.username,
        note=f"{s.area} {s.year}, submitted by {s.submitted_by}, {how}", connection=conn)


def note_key(o: Observation) -> str:
    """The key a note on a figure is kept under: the figure's key, as a JSON array."""
    return json.dumps(list(o.key), ensure_ascii=False)


def note_label(key: str) -> str:
    """A figure key as the audit log shows it: indicator, area, period, scope and sector."""
    try:
        indicator, area, sector, period, scope, _source = json.loads(key)
    except (ValueError, TypeError):
        return key
    return " ".join(str(p) for p in (indicator, area, period, scope, sector) if p)


def _write_notes(conn: Writer, plan: Plan, s: Submission,
                 texts: Mapping[str, str] | None, kind: str, actor: Actor,
                 stamp: datetime, *, read: _Read | None = None) -> dict[str, Any]:
    """Store notes on figures of ``s``; what the audit entry records of them. ``read``: the
    decision's reading of ``s``, whose checked file names its figures."""
    clean = {k: v.strip() for k, v in (texts or {}).items() if v and v.strip()}
    if not clean:
        return {}
    for key, text in clean.items():
        if len(text) > MAX_NOTE:
            raise WorkflowError(f"the note on {note_label(key)} has {len(text):,} characters; "
                                f"a note holds at most {MAX_NOTE:,}").saying(
                "error.note_too_long", figure=figure_words(plan, key), n=f"{len(text):,}",
                max=f"{MAX_NOTE:,}")
    checked = read.checked if read is not None else None
    if checked is None:
        checked = check_upload(rows.content_in(conn, s.id), s.filename, plan, s.area)
    known = {note_key(o) for o in checked.observations}
    unknown = [k for k in clean if k not in known]
    if unknown:
        raise WorkflowError(f"submission {s.id} has no figure {note_label(unknown[0])}; "
                            "a note belongs to one of its figures").saying(
            "error.note_unknown_figure", id=s.id, figure=figure_words(plan, unknown[0]))
    rows.add_notes(conn, s.id, clean, kind=kind, author=actor.username, at=stamp,
                   status=s.status)
    return {"reasons" if kind == "reason" else "notes":
            {note_label(k): v for k, v in clean.items()}}


def return_(engine: Engine, actor: Actor, submission_id: int, *, comment: str,
            ip: str = "", reasons: Mapping[str, str] | None = None,
            plan: Plan | None = None) -> Submission:
    """Send a submission awaiting a decision back to its province, with a comment or reasons
    on single figures (figure key → reason; at least one of them is required).

    A ``submitted`` one is returned by the province's approver (``submission:return``), an
    ``endorsed`` one at the national level (``submission:accept``). The editor reads the
    reasons beside the figures on the submission's page. ``plan`` is needed for reasons (to
    check they name figures of the file).
    """
    given = {k: v for k, v in (reasons or {}).items() if v and v.strip()}
    if not comment.strip() and not given:
        raise WorkflowError("say why the submission is returned (a comment, or a reason on "
                            "a figure, is required)").saying("error.return_reason")
    if given and plan is None:
        raise WorkflowError("reasons on figures need the plan to find the figures").saying(
            "error.reasons_need_plan")
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        level: Action = "submission:accept" if s.status == "endorsed" else "submission:return"
        _check(actor, level, s.resource)
        if s.status not in AWAITING:
            raise WorkflowError(f"submission {s.id} is {s.status}; only a submitted one can be "
                                "returned").saying("error.not_returnable", id=s.id,
                                                   status=state(s.status))
        stamp = datetime.now(UTC)
        after = rows.change(conn, s.id, status="returned", comment=comment.strip(),
                            decided_by=actor.username, decided_at=stamp, updated_at=stamp)
        written = (_write_notes(conn, plan, s, given, "reason", actor, stamp)
                   if plan is not None else {})
        record(conn, actor, "submission.return", "submission", str(s.id),
               before=s.snapshot(), after=after.snapshot() | written, comment=comment.strip(),
               ip=ip, subject=after)
    return after


def comment(engine: Engine, plan: Plan, actor: Actor, submission_id: int,
            notes: Mapping[str, str], *, ip: str = "") -> Submission:
    """Comments on single figures, by anyone who may act on the submission now (its editors,
    its approvers); a locked (approved) submission takes none."""
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        if not any(allowed(actor, a, s.resource) for a in COMMENTING):
            _check(actor, "submission:approve", s.resource)  # raises, naming the action
        if s.status == "approved":
            raise WorkflowError(f"submission {s.id} is approved and locked; it takes no "
                                "comments").saying("error.locked_no_comment", id=s.id)
        written = _write_notes(conn, plan, s, notes, "comment", actor, datetime.now(UTC))
        if not written:
            raise WorkflowError("write a comment on at least one figure").saying(
                "error.comment_empty")
        record(conn, actor, "submission.comment", "submission", str(s.id), before=None,
               after=written, ip=ip)
    return s


def unlock(engine: Engine, actor: Actor, submission_id: int, *, comment: str,
           ip: str = "") -> Submission:
    """Reopen an approved submission (administrators), with the reason; it becomes returned."""
    if not comment.strip():
        raise WorkflowError("say why the submission is unlocked (a reason is required)"
                            ).saying("error.unlock_reason")
    return _transition(engine, actor, submission_id, action="submission:unlock",
                       needs="approved",
                       refusal="only an approved one is locked", refusal_key="error.not_locked",
                       comment=comment, ip=ip,
                       updated_at=datetime.now(UTC))


def _transition(engine: Engine, actor: Actor, submission_id: int, *, action: Action, needs: str,
                refusal: str, refusal_key: str, comment: str, ip: str, **values: Any
                ) -> Submission:
    """Move a submission from status ``needs`` to returned, checked and audited in one go."""
    with begin_write(engine) as conn:
        s = rows.load(conn, submission_id)
        _check(actor, action, s.resource)
        if s.status != needs:
            raise WorkflowError(f"submission {s.id} is {s.status}; {refusal}").saying(
                refusal_key, id=s.id, status=state(s.status))
        after = rows.change(conn, s.id, status="returned", comment=comment.strip(), **values)
        record(conn, actor, action.replace(":", "."), "submission", str(s.id),
               before=s.snapshot(), after=after.snapshot(), comment=comment.strip(), ip=ip,
               subject=after)
    return after


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one submission of a bulk approval: ``message`` in English (the API),
    ``key`` and ``params`` for a page to say it in the reader's language."""

    id: int
    ok: bool
    message: str
    key: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def said(self, lang: Lang) -> str:
        return t(self.key, lang, **said(dict(self.params), lang)) if self.key else self.message


def bulk_approve(engine: Engine, store: Store, plan: Plan, actor: Actor, ids: Sequence[int], *,
                 comment: str = "", ip: str = "",
                 after_commit: Callable[[ImportResult], Any] | None = None,
                 levels: int = DEFAULT_APPROVAL_LEVELS) -> list[BulkOutcome]:
    """Take each submission one level on (one transaction each): approve a submitted one,
    accept an endorsed one; report every outcome."""
    out = []
    for sid in dict.fromkeys(ids):
        try:
            current = rows.get(engine, sid)
            if current.status == "endorsed" and allowed(actor, "submission:read",
                                                        current.resource):
                s = accept(engine, store, plan, actor, sid, comment=comment, ip=ip,
                           after_commit=after_commit)
                message, key = f"accepted (vintage {s.vintage_id})", "bulk.accepted"
            else:
                s = approve(engine, store, plan, actor, sid, comment=comment, ip=ip,
                            after_commit=after_commit, levels=levels)
                message, key = ((f"approved (vintage {s.vintage_id})", "bulk.approved")
                                if s.status == "approved" else
                                ("approved by the province; awaiting national acceptance",
                                 "bulk.endorsed"))
            out.append(BulkOutcome(sid, True, message, key, {"vintage": s.vintage_id}))
        except (Forbidden, WorkflowError, NotFound) as exc:
            out.append(BulkOutcome(sid, False, str(exc), getattr(exc, "key", None),
                                   getattr(exc, "params", {})))
    return out


# ------------------------------------------------------------------------------ deadlines


def set_deadline(engine: Engine, actor: Actor, year: int, due: date, *, area: str = "",
                 ip: str = "") -> None:
    """Set when ``year``'s round is due (``area`` empty: every province without its own).
    A day already past is kept, not refused: a round's deadline is recorded after the fact
    too, and the board then shows who was late."""
    _check(actor, "deadline:set", Resource("deadline", area=area))
    if area:
        reference.area(area)
    with begin_write(engine) as conn:
        old = rows.deadline(conn, year, area)
        rows.put_deadline(conn, year, area, due, actor.username)
        record(conn, actor, "deadline.set", "deadline", f"{year}/{area or '*'}",
               before=None if old is None else {"year": year, "area": area,
                                                "due": old.isoformat()},
               after={"year": year, "area": area, "due": due.isoformat()}, ip=ip)


@dataclass(frozen=True)
class BoardLine:
    area: str
    name_zh: str
    name_en: str
    due: date | None
    status: str          # the latest submission's state, or "missing"
    submission_id: int | None
    submitted_at: datetime | None
    late: bool

    def name(self, lang: Lang) -> str:
        """The province's name in ``lang`` (the code list's names, as the API gives them)."""
        return Text(zh=self.name_zh, en=self.name_en).get(lang)


def board(engine: Engine, actor: Actor, year: int, *, today: date | None = None
          ) -> list[BoardLine]:
    """Every province's state for ``year`` against its deadline; late ones flagged.

    Late: the deadline has passed and nothing was submitted by then (a submission made
    after the deadline is late too, even once approved).
    """
    today = today or datetime.now(UTC).date()
    dues = rows.deadlines(engine, year)
    subs = rows.listing(engine, year=year, kind="province")
    latest: dict[str, SubmissionSummary] = {}
    for sub in subs:  # newest first: the first seen of an area is its latest
        latest.setdefault(sub.area, sub)
    lines = []
    for code in reference.areas().values():
        if code.level != "province" or code.code[:2] in ("71", "81", "82"):
            continue  # Taiwan, Hong Kong and Macao report through no provincial round
        if not allowed(actor, "board:read", Resource("board", area=code.code)):
            continue
        due = dues.get(code.code, dues.get(""))
        s = latest.get(code.code)
        submitted_at = s.submitted_at if s is not None else None
        late = False
        if due is not None:
            late = today > due if submitted_at is None else submitted_at.date() > due
        lines.append(BoardLine(code.code, code.name_zh, code.name_en, due,
                               s.status if s is not None else "missing",
                               s.id if s is not None else None, submitted_at, late))
    return lines
