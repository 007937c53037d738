"""Early warning (预警): rules as data, each kind on synthetic data, the import hook, e-mail."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.evaluate.engine import evaluate
from mic2025.followup import warn
from mic2025.followup.common import FollowupError
from mic2025.observation import Observation
from mic2025.periods import quarter, year
from mic2025.plan import load_plan
from mic2025.store import Store, open_store
from store_fixtures import BACKENDS, StoreTemplates

SYN = frozenset({"synthetic"})
SRC = "synthetic test data"


def obs(indicator: str, area: str, y: int, value: float, unit: str = "%",
        sector: str = "") -> Observation:
    return Observation(indicator=indicator, area=area, period=year(y), value=value, unit=unit,
                       source=SRC, sector=sector, flags=SYN)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory,
          sqlite_copy: Callable[..., str]) -> Iterator[Store]:
    # a store holding the bundled evidence, as the first command leaves it
    s = open_store(sqlite_copy(tmp_path_factory.mktemp("warn") / "store.sqlite"))
    yield s
    s.close()


def test_the_bundled_rules_load_and_name_their_owners() -> None:
    rules = warn.load_rules()
    kinds = {r.kind for r in rules.rules}
    assert kinds == {"behind_pace", "low_probability", "province_divergence", "below_threshold",
                     "falling"}
    assert all(r.owner.zh and r.owner.en for r in rules.rules)


def test_a_bad_rule_file_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("schema_version: 1\nrules:\n  - id: r1\n    kind: falling\n"
                   "    name: {zh: 甲, en: A}\n    owner: {zh: 乙, en: B}\n"
                   "    series: x\n    periods: zero\n", encoding="utf-8")
    with pytest.raises(FollowupError) as err:
        warn.load_rules(bad)
    text = str(err.value)
    assert str(bad) in text and "line 8" in text and "periods" in text
    bad.write_text("schema_version: 1\nrules:\n  - id: r1\n    kind: sideways\n", "utf-8")
    with pytest.raises(FollowupError, match="line 4"):
        warn.load_rules(bad)


def test_behind_pace_needs_n_consecutive_periods() -> None:
    plan = load_plan()
    # rd_intensity base 0.95 (2015) → 1.68 (2025): planned 1.314 in 2020, 1.387 in 2021
    data = [obs("rd_intensity", "000000", 2019, 1.30), obs("rd_intensity", "000000", 2020, 1.10),
            obs("rd_intensity", "000000", 2021, 1.15)]
    ev = evaluate(plan, data, evaluated_on=date(2022, 6, 1))
    rule = warn.BehindPace(id="bp", kind="behind_pace", name=warn.Text(zh="a", en="a"),
                           owner=warn.Text(zh="工业和信息化部", en="MIIT"), periods=2,
                           metrics=("rd_intensity",))
    ws = warn.behind_pace(rule, plan, ev)
    assert [w.subject for w in ws] == ["rd_intensity"]
    assert ws[0].period == "2021" and ws[0].synthetic and ws[0].owner.en == "MIIT"
    three = rule.model_copy(update={"periods": 4})
    assert warn.behind_pace(three, plan, ev) == []


def test_province_divergence_by_z_score_and_gap() -> None:
    plan = load_plan()
    provinces = ["110000", "120000", "130000", "140000", "150000", "210000", "310000"]
    values = [1.6, 1.5, 1.55, 1.45, 1.5, 1.52, 0.6]  # 310000 lags far behind
    data = [obs("rd_intensity", a, 2023, v) for a, v in zip(provinces, values, strict=True)]
    data.append(obs("rd_intensity", "000000", 2023, 1.5))
    rule = warn.ProvinceDivergence(id="pd", kind="province_divergence",
                                   name=warn.Text(zh="偏离", en="diverging"),
                                   owner=warn.Text(zh="省级", en="province"),
                                   metrics=("rd_intensity",), z_threshold=2.0)
    ws = warn.province_divergence(rule, plan, data)
    assert [w.area for w in ws] == ["310000"] and ws[0].figures["z"] < -2  # type: ignore[operator]
    assert ws[0].figures["gap"] == pytest.approx(-0.9) and ws[0].synthetic
    # a leader is not "lagging"; with lagging_only off it is reported too
    data[0] = obs("rd_intensity", "110000", 2023, 3.5)
    both = rule.model_copy(update={"lagging_only": False, "z_threshold": 1.8})
    assert "110000" in {w.area for w in warn.province_divergence(both, plan, data)}
    by_gap = rule.model_copy(update={"z_threshold": None, "gap_threshold": 0.5})
    assert [w.area for w in warn.province_divergence(by_gap, plan, data)] == ["310000"]


def test_low_capacity_utilisation_by_sector_on_synthetic_data() -> None:
    plan = load_plan()
    rule = next(r for r in warn.load_rules().rules if r.kind == "below_threshold")
    data = [
        Observation("capacity_utilisation", "000000", quarter(2024, 3), 72.0, "%", SRC,
                    sector="30", flags=SYN),
        Observation("capacity_utilisation", "000000", quarter(2024, 4), 78.0, "%", SRC,
                    sector="30", flags=SYN),  # the latest quarter decides: no warning
        Observation("capacity_utilisation", "000000", quarter(2024, 4), 70.5, "%", SRC,
                    sector="36", flags=SYN),
        Observation("capacity_utilisation", "000000", quarter(2024, 4), 76.0, "%", SRC,
                    flags=SYN),
    ]
    ws = warn.below_threshold(rule, plan, data)
    assert [(w.sector, w.period) for w in ws] == [("36", "2024-Q4")]
    assert "汽车制造业" in ws[0].message.zh and ws[0].synthetic


def test_falling_pass_rate_on_synthetic_data() -> None:
    plan = load_plan()
    rule = next(r for r in warn.load_rules().rules if r.kind == "falling")
    up = [obs("mfg_product_quality_pass_rate", "000000", y, v)
          for y, v in ((2022, 93.3), (2023, 93.65), (2024, 93.93))]
    assert warn.falling(rule, plan, up) == []
    down = [*up, obs("mfg_product_quality_pass_rate", "000000", 2025, 93.1)]
    ws = warn.falling(rule, plan, down)
    assert len(ws) == 1 and ws[0].figures["drop"] == pytest.approx(0.83)


def test_evaluate_rules_over_the_bundled_store(store: Store) -> None:
    plan = load_plan()
    ws = warn.evaluate_rules(plan, store)
    assert ws and all(w.owner.zh for w in ws)
    assert not any(w.synthetic for w in ws)  # the bundled evidence is published figures
    keys = [w.key for w in ws]
    assert len(keys) == len(set(keys))
    assert warn.new_warnings(ws, ws) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inboxes:
    """What a loopback SMTP server received: the messages, and each address's inbox."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.inbox: dict[str, list[Any]] = {}


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inboxes]]:
    with loopback_smtp() as server:
        yield server


@contextmanager
def loopback_smtp() -> Iterator[tuple[int, Inboxes]]:
    """An aiosmtpd server on 127.0.0.1 (stopped at the end) that files by envelope."""
    from email import message_from_bytes
    from email.policy import default

    from aiosmtpd.controller import Controller

    got = Inboxes()

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = message_from_bytes(envelope.content, policy=default)
            got.messages.append(msg)
            for rcpt in envelope.rcpt_tos:
                got.inbox.setdefault(rcpt, []).append(msg)
            return "250 OK"

    port = _free_port()
    ctl = Controller(Keep(), hostname="127.0.0.1", port=port, ready_timeout=10)
    ctl.start()
    try:
        yield port, got
    finally:
        ctl.stop()


def _warning(key: str, owner: warn.Text, text: str, area: str = "000000") -> warn.EarlyWarning:
    return warn.EarlyWarning(key=key, rule="r", kind="falling", severity="warning", subject="s",
                             subject_name=warn.Text(zh="合格率", en="pass rate"), area=area,
                             period="2025", owner=owner, message=warn.Text(zh=text, en=text))


TWO_OWNERS = """schema_version: 1
placeholder: true
copy: [archive@example.org]
owners:
  - id: samr
    name: {zh: 市场监管总局, en: SAMR}
    to: [samr-a@example.org, samr-b@example.org]
  - id: ndrc
    name: {zh: 国家发展改革委, en: NDRC}
    to: [ndrc@example.org]
"""


def test_each_owner_receives_only_its_own_warnings(
        tmp_path: Path, smtp_server: tuple[int, Inboxes]) -> None:
    port, got = smtp_server
    (tmp_path / "owners.yaml").write_text(TWO_OWNERS, encoding="utf-8")
    owners = warn.load_owners(tmp_path / "owners.yaml")
    w_samr = _warning("k1", warn.Text(zh="市场监管总局", en="SAMR"), "合格率下降")
    w_ndrc = _warning("k2", warn.Text(zh="国家发展改革委", en="NDRC"), "产能利用率偏低")
    n = warn.notify([w_samr, w_ndrc], f"smtp://127.0.0.1:{port}?from=m@example.org",
                    owners=owners, timeout=5)
    assert n == 2 and len(got.messages) == 2
    body = {a: [m.get_content() for m in ms] for a, ms in got.inbox.items()}
    assert set(body) == {"samr-a@example.org", "samr-b@example.org", "ndrc@example.org",
                         "archive@example.org"}
    for addr in ("samr-a@example.org", "samr-b@example.org"):
        assert len(body[addr]) == 1 and "合格率下降" in body[addr][0]
        assert "产能利用率偏低" not in body[addr][0]
    assert len(body["ndrc@example.org"]) == 1
    assert "产能利用率偏低" in body["ndrc@example.org"][0]
    assert "合格率下降" not in body["ndrc@example.org"][0]
    assert len(body["archive@example.org"]) == 2  # the copy list sees both
    samr_msg = got.inbox["samr-a@example.org"][0]
    assert samr_msg["To"] == "samr-a@example.org, samr-b@example.org"
    assert samr_msg["Cc"] == "archive@example.org"
    assert "市场监管总局" in samr_msg["Subject"]


def test_routing_by_name_parts_province_and_fallback() -> None:
    owners = warn.load_owners()
    assert owners.placeholder
    assert all(a.endswith("@example.org") for o in owners.owners for a in (*o.to, *o.cc))
    assert not owners.unclaimed(warn.load_rules())  # every bundled rule owner has an entry

    def ids(w: warn.EarlyWarning) -> list[str]:
        return [o.id for o, _ in owners.route([w])]

    both = warn.Text(zh="工业和信息化部、国家发展改革委", en="MIIT and NDRC")
    assert ids(_warning("a", both, "x")) == ["miit", "ndrc"]
    prov = warn.Text(zh="广东省人民政府（省级工业和信息化主管部门）", en="Guangdong government")
    assert ids(_warning("b", prov, "x", area="440000")) == ["prov_440000"]
    nobody = warn.Text(zh="某某委员会", en="Some committee")
    assert ids(_warning("c", nobody, "x")) == [owners.fallback] == ["lgo"]
    office = warn.Text(zh="国家制造强国建设领导小组办公室（工业和信息化部）",
                       en="Office of the national leading group (MIIT)")
    assert ids(_warning("d", office, "x")) == ["lgo"]


def test_an_owner_file_from_the_environment_and_its_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "owners.yaml"
    mine.write_text(TWO_OWNERS, encoding="utf-8")
    monkeypatch.setenv(warn.ENV_OWNERS, str(mine))
    assert [o.id for o in warn.load_owners().owners] == ["samr", "ndrc"]
    mine.write_text(TWO_OWNERS.replace("ndrc@example.org", "not-an-address"), "utf-8")
    with pytest.raises(FollowupError, match="not an e-mail address"):
        warn.load_owners()
    mine.write_text(TWO_OWNERS.replace("id: ndrc", "id: samr"), "utf-8")
    with pytest.raises(FollowupError, match="used twice"):
        warn.load_owners()


def test_notify_sends_through_a_local_smtp_server(smtp_server: tuple[int, Inboxes]) -> None:
    port, got = smtp_server
    w = _warning("k", warn.Text(zh="市场监管总局", en="SAMR"), "合格率下降")
    # the bundled (placeholder) directory: SAMR's address, and to= read as a copy
    n = warn.notify([w], f"smtp://127.0.0.1:{port}?from=m@example.org&to=a@example.org,"
                         "b@example.org", timeout=5)
    assert n == 1 and len(got.messages) == 1
    msg = got.messages[0]
    assert msg["To"] == "warnings.samr@example.org"
    assert set(got.inbox) == {"warnings.samr@example.org", "a@example.org", "b@example.org"}
    assert "合格率下降" in msg.get_content()
    assert warn.notify([], f"smtp://127.0.0.1:{port}?to=a@example.org") == 0
    with pytest.raises(FollowupError, match="refused or did not answer"):
        warn.notify([w], f"smtp://127.0.0.1:{_free_port()}?to=a@example.org", timeout=2)


def test_the_import_hook_prints_and_mails_new_warnings(
        tmp_path: Path, smtp_server: tuple[int, Inboxes],
        monkeypatch: pytest.MonkeyPatch, sqlite_copy: Callable[..., str]) -> None:
    port, got = smtp_server
    monkeypatch.setenv(warn.ENV_SMTP, f"smtp://127.0.0.1:{port}?to=office@example.org")
    db = sqlite_copy(tmp_path / "hook.sqlite")  # as the first command leaves it
    csv = tmp_path / "pass-rate.csv"
    csv.write_text(
        "indicator,area,year,period,value,unit,scope,sector,flags,source,source_date,quote,note\n"
        "mfg_product_quality_pass_rate,000000,2025,,93.10,%,制造业,,synthetic,"
        "synthetic test data,,,made up for the hook test\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(csv), "--db", db], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "stored as vintage" in r.output
    assert "new warning" in r.output and "市场监管总局" in r.output
    assert "1 message(s), one per owner" in r.output and len(got.messages) == 1
    assert set(got.inbox) == {"warnings.samr@example.org", "office@example.org"}
    # importing the same file again changes nothing and warns of nothing new
    r = CliRunner().invoke(main, ["import", str(csv), "--db", db], catch_exceptions=False)
    assert "new warning" not in r.output


def test_cli_warnings_json(tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "w.sqlite")
    r = CliRunner().invoke(main, ["warnings", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"owner"' in r.output


def test_low_capacity_utilisation_prefers_the_quarter_over_the_year_ending_with_it() -> None:
    plan = load_plan()
    rule = next(r for r in warn.load_rules().rules if r.kind == "below_threshold")
    q4 = Observation("capacity_utilisation", "000000", quarter(2024, 4), 76.2, "%", SRC,
                     sector="31", flags=SYN)
    full_year = Observation("capacity_utilisation", "000000", year(2024), 74.0, "%", SRC,
                            sector="31", flags=SYN)
    for data in ([q4, full_year], [full_year, q4]):  # the order of the rows never decides
        assert warn.below_threshold(rule, plan, data) == []


def test_overcapacity_rule_reads_the_bundled_published_figures(store: Store) -> None:
    plan = load_plan()
    assert not [p for p in warn.check_rules(warn.load_rules(), plan) if "capacity" in p]
    ws = [w for w in warn.evaluate_rules(plan, store) if w.rule == "overcapacity"]
    by_sector = {w.sector: w for w in ws}
    assert "30" in by_sector  # 非金属矿物制品业 has stayed far below 75% since 2023
    # each warning cites the release it reads, publisher first (not the copy's address)
    assert all(isinstance(w.figures["source"], str)
               and w.figures["source"].startswith("国家统计局 ") for w in ws)
    assert not any(w.synthetic for w in ws)


# ------------------------------------------------------------------ the rules a vintage touched

_PROVINCES = ("110000", "120000", "130000", "310000", "320000", "330000", "370000", "440000",
              "510000", "620000")
#: the rules that read the evaluation of the plan's area: any national figure may change them
_EVALUATION_RULES = ("behind_pace", "low_probability")
#: vintages imported one after another; the rules each can change, and whether it raises any
_VINTAGES: tuple[tuple[str, list[dict[str, object]], set[str]], ...] = (
    ("provinces far apart", [
        {"indicator": "rd_intensity", "area": area, "year": 2026,
         "value": 0.3 if area == "620000" else 2.5 + i / 100, "unit": "%"}
        for i, area in enumerate(_PROVINCES)], {"province_divergence"}),
    ("a province figure no rule reads", [
        {"indicator": "rd_intensity_gdp", "area": "440000", "year": 2024, "value": 3.1,
         "unit": "%"}], set()),
    ("the pass rate falls", [
        {"indicator": "mfg_product_quality_pass_rate", "area": "000000", "year": 2025,
         "value": 93.1, "unit": "%", "scope": "制造业"}],
     {"quality_pass_rate_falling", *_EVALUATION_RULES}),
    ("capacity use below the line", [
        {"indicator": "capacity_utilisation", "area": "000000", "year": 2026,
         "period": "2026-Q3", "value": 68.0, "unit": "%", "scope": "全国工业",
         "sector": "C31"}],
     {"overcapacity", *_EVALUATION_RULES}),
    ("national figures far behind", [
        {"indicator": "solid_waste_utilization", "area": "000000", "year": year,
         "value": 40.0, "unit": "%"} for year in (2022, 2023, 2024)], set(_EVALUATION_RULES)),
)


@pytest.fixture(params=BACKENDS)
def bundled_store(request: pytest.FixtureRequest, tmp_path: Path,
                  store_templates: StoreTemplates) -> Iterator[Store]:
    """A store of its own (a copy of the one holding the bundled evidence) on each backend."""
    with store_templates.copy(request.param, tmp_path) as url:
        s = open_store(url, migrate=False)
        try:
            yield s
        finally:
            s.close()


def test_the_import_hook_runs_only_the_rules_a_vintage_touched_with_the_same_result(
        bundled_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.permissions import Actor
    from mic2025.services import imports

    plan, rules = load_plan(), warn.load_rules()
    actor = Actor(id=None, username="test", via="system")
    read: list[dict[str, Any]] = []
    real = bundled_store.observations

    def observations(**kwargs: Any) -> Any:
        read.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(bundled_store, "observations", observations)
    raised = []
    for name, rows, touched in _VINTAGES:
        cells = [{"source": "synthetic test data", "flags": "synthetic", **r} for r in rows]
        result = imports.import_rows(bundled_store, actor, cells, plan, source_name=name)
        assert result.written == {(str(r["indicator"]), str(r["area"])) for r in rows}, name
        subset, indicators, evaluation = warn.touched_rules(rules, plan, result.written)
        assert {r.id for r in subset.rules} == touched, name
        read.clear()
        fresh = warn.after_import(bundled_store, plan, result, echo=lambda _: None)
        # only the touched rules' own figures were read, and the plan's area for the
        # evaluation when a rule needs it; never every observation
        assert all(kw.get("indicators") or kw.get("area") == plan.area for kw in read), name
        assert all(set(kw["indicators"]) <= indicators for kw in read if kw.get("indicators"))
        assert evaluation == any(kw.get("area") == plan.area for kw in read), name
        # every rule on every observation, as before: the same new warnings
        everything = warn.after_import(bundled_store, plan, replace(result, written=frozenset()),
                                       echo=lambda _: None)
        assert [w.model_dump() for w in fresh] == [w.model_dump() for w in everything], name
        assert {w.rule for w in fresh} <= touched, name
        raised.append({w.rule for w in fresh})
    # the comparisons were of something: most vintages raised the warnings they aimed at
    assert raised[0] == {"province_divergence"} and raised[1] == set()
    assert raised[2] == {"quality_pass_rate_falling"} and raised[3] == {"overcapacity"}
    assert raised[4] == set(_EVALUATION_RULES)
