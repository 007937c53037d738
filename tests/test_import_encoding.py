"""`mic2025 import` of a CSV saved in a legacy Chinese encoding, and the guide's sample file.

A CSV that Excel on a Chinese-language Windows saved (GB18030) or one from a
traditional-Chinese system (Big5) is read in that encoding, and the command says on stdout
what it assumed; the sample import file the user guide points to imports as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from mic2025.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "docs" / "examples" / "sample-import.csv"
HEADER = "indicator,area,year,value,unit,publisher,publication"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_reads_a_gb18030_csv_and_says_what_it_assumed(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "enc.sqlite")  # as the first command leaves it
    f = tmp_path / "gd.csv"
    f.write_bytes((HEADER + "\nrd_intensity,440000,2022,2.1,%,广东省统计局,广东统计年鉴2023\n"
                   ).encode("gb18030"))
    r = invoke("import", str(f), "--db", db)
    assert r.exit_code == 0, r.output
    assert "not UTF-8 text; read as GB18030" in r.stdout
    out = json.loads(invoke("data", "export", "--db", db, "--format", "json").output)
    (row,) = [x for x in out if x["area"] == "440000"]
    assert row["publisher"] == "广东省统计局"
    # --check says it too, and a UTF-8 file gets no such line
    big5 = tmp_path / "tw.csv"
    big5.write_bytes((HEADER + "\nrd_intensity,440000,2021,2.0,%,廣東省統計局,廣東統計年鑑2022\n"
                      ).encode("big5"))
    checked = invoke("import", str(big5), "--db", db, "--check")
    assert checked.exit_code == 0 and "read as BIG5" in checked.stdout
    plain = tmp_path / "utf8.csv"
    plain.write_text(HEADER + "\nrd_intensity,440000,2020,1.9,%,广东省统计局,广东统计年鉴2021\n",
                     encoding="utf-8")
    quiet = invoke("import", str(plain), "--db", db, "--check")
    assert quiet.exit_code == 0 and "read as" not in quiet.stdout


def test_the_guides_sample_import_file_imports_and_is_labelled_synthetic(tmp_path: Path
                                                                       ) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert all("SYNTHETIC" in line for line in text.splitlines()[1:])
    assert "docs/examples/sample-import.csv" in (REPO / "docs" / "user-guide.md").read_text(
        encoding="utf-8")
    r = invoke("import", str(SAMPLE), "--db", f"sqlite:///{tmp_path / 's.sqlite'}", "--check")
    assert r.exit_code == 0, r.output
    assert "5 rows valid" in r.output
