"""Issue #12: every figure names its primary publication — the citation fields on import.

Files in the new format (``publisher``, ``publication``, ``publication_date``, ``locator``,
``retrieved_from``, ``grade``) import; files with the legacy ``source``/``source_date``
still import by the legacy rule; bad cells are problems naming row and column; the fields
survive import → export → import, through the command line's CSV, the platform's Excel
and SDMX-CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.citation import Citation, cite
from mic2025.cli import main
from mic2025.errors import ImportRejected, Problem
from mic2025.ingest import check_file
from mic2025.observation import Observation
from mic2025.permissions import SYSTEM
from mic2025.plan import load_plan
from mic2025.services.imports import import_file
from mic2025.store import export_row, open_store
from mic2025.tabular import csv_text, xlsx_bytes
from mic2025.web import exports
from store_fixtures import CITED_HEADER, HEADER, row, small_plan, write_csv

PLAN = small_plan()

NBS = {"publisher": "国家统计局", "publication": "《2020年全国科技经费投入统计公报》",
       "publication_date": "2021-09-22", "locator": "表2",
       "retrieved_from": "https://www.stats.gov.cn/sj/tjgb/rdpcgb/qgkjjftrtjgb/t20210922.html",
       "grade": "official"}


def cited(**cells: object) -> dict[str, object]:
    """A row in the new format: the legacy columns left out, the citation filled."""
    base = {k: v for k, v in row().items() if k not in ("source", "source_date")}
    return base | NBS | cells


def rejected(path: Path) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        check_file(path, PLAN)
    return info.value.problems


def test_a_file_in_the_new_format_imports_with_its_citation(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "new.csv", [cited()], header=CITED_HEADER)
    (o,) = check_file(path, PLAN)
    assert o.citation == Citation(
        publisher="国家统计局", publication="《2020年全国科技经费投入统计公报》",
        publication_date=date(2021, 9, 22), locator="表2", retrieved_from=NBS["retrieved_from"],
        grade="official")
    # the key's source is the publication, not the copy: another copy is the same figure
    assert o.source == "国家统计局 《2020年全国科技经费投入统计公报》"
    assert o.source_date == date(2021, 9, 22)


def test_chinese_headers_and_grade_words_are_read(tmp_path: Path) -> None:
    header = ["指标", "地区", "年份", "数值", "单位", "发布机构", "出版物", "发布日期", "转引自",
              "来源等级"]
    path = tmp_path / "zh.csv"
    path.write_text(",".join(header) + "\nrd_intensity,000000,2020,2.4,%,国家统计局,"
                    "《统计公报》,2021年2月28日,http://www.xinhuanet.com/a.htm,官方媒体\n",
                    encoding="utf-8")
    (o,) = check_file(path, PLAN)
    assert (o.citation.publication_date, o.citation.grade) == (date(2021, 2, 28),
                                                               "official_media")


def test_legacy_files_import_by_the_legacy_rule(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "old.csv", [
        row(source="https://x.example/a.html", source_date="2021-02-28"),
        row(year=2021, source="广东省统计局", source_date=""),
    ], header=HEADER)
    got = {o.year: o for o in check_file(path, PLAN)}
    assert got[2020].citation == Citation(retrieved_from="https://x.example/a.html",
                                          publication_date=date(2021, 2, 28))
    assert got[2021].citation == Citation(publication="广东省统计局")
    # the key stays the legacy source: a store's earlier figures are not duplicated
    assert (got[2020].source, got[2021].source) == ("https://x.example/a.html", "广东省统计局")


def test_legacy_and_new_cells_that_agree_import(tmp_path: Path) -> None:
    header = [*CITED_HEADER, "source", "source_date"]
    path = write_csv(tmp_path / "both.csv", [
        cited(source=NBS["retrieved_from"], source_date="2021-09-22"),
        # the key as an export of it (SDMX's SOURCE) writes it
        cited(year=2021, source="国家统计局 《2020年全国科技经费投入统计公报》"),
    ], header=header)
    assert {o.citation.publication for o in check_file(path, PLAN)} == {NBS["publication"]}


@pytest.mark.parametrize(("cells", "column", "message"), [
    (dict(grade="official-ish"), "grade", "unknown grade"),
    (dict(grade="5"), "grade", "official, official_media, industry_body, other_copy"),
    (dict(publication_date="22/09/2021"), "publication_date", "not a date"),
    (dict(publication_date="2021-02-30"), "publication_date", "not a calendar date"),
    (dict(retrieved_from="javascript:alert(1)"), "retrieved_from", "not a web address"),
    (dict(retrieved_from="国家统计局网站"), "retrieved_from", "not a web address"),
    (dict(publisher="", publication="", retrieved_from=""), "publication", "required"),
    (dict(publication="《" + "长" * 600 + "》"), "publication", "at most 500"),
    # legacy and new disagree: the row is refused naming both columns
    (dict(source="https://elsewhere.example/b.html"), "source", "retrieved_from"),
    (dict(retrieved_from="", publication="《另一份公报》", source="国家统计局公报"),
     "source", "publication"),
    (dict(source_date="2021-09-23"), "source_date", "publication_date 2021-09-22"),
    (dict(source_date="yesterday"), "source_date", "not a date"),
])
def test_bad_citation_cells_are_problems_naming_row_and_column(
        tmp_path: Path, cells: dict[str, object], column: str, message: str) -> None:
    header = [*CITED_HEADER, "source", "source_date"]
    path = write_csv(tmp_path / "bad.csv", [cited(), cited(year=2021, **cells)], header=header)
    problems = rejected(path)
    assert [(p.row, p.column) for p in problems] == [(3, column)]
    assert message in problems[0].message


def test_a_header_without_any_source_column_is_refused(tmp_path: Path) -> None:
    header = [c for c in CITED_HEADER if c not in ("publisher", "publication", "retrieved_from")]
    (problem,) = rejected(write_csv(tmp_path / "nosource.csv", [cited()], header=header))
    assert problem.row == 1 and "publication (or retrieved_from" in problem.message


def _citations(observations: list[Observation]) -> dict[tuple[object, ...], Citation]:
    return {o.key: o.citation for o in observations}


def _figures(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "figures.csv", [
        cited(),
        cited(year=2019, publisher="工业和信息化部", publication="国务院新闻办公室新闻发布会"
              "(2021-03-01)", publication_date="2021-03-01", locator="答记者问",
              retrieved_from="http://paper.people.com.cn/rmrb/a.htm", grade="official_media"),
        cited(year=2018, publisher="", publication="", publication_date="", locator="",
              retrieved_from="https://mirror.example/c.html", grade="other_copy"),
    ], header=CITED_HEADER)


def test_import_export_import_keeps_the_citation_through_the_command_line(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    sqlite_copy(first)  # as the first command leaves it
    sqlite_copy(second, evidence=False)  # written below without a command: no bundle
    source = _figures(tmp_path)
    r = runner.invoke(main, ["import", str(source), "--db", f"sqlite:///{first}"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = tmp_path / "export.csv"
    r = runner.invoke(main, ["data", "export", "--db", f"sqlite:///{first}", "--out", str(out)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    header, *rows = csv.reader(io.StringIO(out.read_text(encoding="utf-8")))
    assert header == [*CITED_HEADER, "vintage", "vintage_at"]
    # the export's vintage columns are this store's batch numbers, not the figure's
    back = tmp_path / "back.csv"
    back.write_text(csv_text(CITED_HEADER, [r[:len(CITED_HEADER)] for r in rows]),
                    encoding="utf-8")
    with open_store(f"sqlite:///{first}") as s:
        before = _citations(s.observations())
    with open_store(f"sqlite:///{second}") as s:
        import_file(s, SYSTEM, back, load_plan())
        after = _citations(s.observations())
    mine = set(_citations(check_file(source, PLAN)))
    assert {k: after[k] for k in mine} == {k: before[k] for k in mine}
    assert len({after[k].grade for k in mine}) == 3


def test_the_platforms_excel_and_sdmx_downloads_keep_the_citation(tmp_path: Path) -> None:
    observations = check_file(_figures(tmp_path), PLAN)
    assert exports.COLUMNS[:len(CITED_HEADER)] == tuple(CITED_HEADER)
    xlsx = tmp_path / "download.xlsx"
    # the download's rows and writer, without the exporting store's vintage columns
    xlsx.write_bytes(xlsx_bytes(CITED_HEADER, [export_row(o) for o in observations]))
    sdmx = tmp_path / "download.sdmx.csv"
    sdmx.write_text(exports.to_sdmx_csv(observations), encoding="utf-8")
    for path in (xlsx, sdmx):
        back = check_file(path, PLAN)
        assert _citations(back) == _citations(observations), path.name


def test_the_citation_is_written_publication_first_then_the_copy() -> None:
    c = Citation.model_validate(NBS)
    zh, en = cite(c, "zh"), cite(c, "en")
    assert zh.primary == "国家统计局《2020年全国科技经费投入统计公报》(2021-09-22) 表2"
    assert zh.text == f"{zh.primary}; 转引自 {NBS['retrieved_from']} (官方网站)"
    assert en.text.endswith(f"retrieved from {NBS['retrieved_from']} (official site)")
    # a press conference carries its date already; a copy without a publication says so
    press = Citation(publisher="工业和信息化部",
                     publication="国务院新闻办公室新闻发布会(2021-03-01)",
                     publication_date=date(2021, 3, 1))
    assert cite(press, "zh").primary == "工业和信息化部 国务院新闻办公室新闻发布会(2021-03-01)"
    bare = cite(Citation(retrieved_from="https://mirror.example/c.html"), "en")
    assert bare.primary == "primary publication not named"
    assert bare.copy_url == "https://mirror.example/c.html"
    # never a link to what is not a web address
    assert cite(Citation(publication="《X》", retrieved_from="javascript:x"), "en").copy_url == ""
