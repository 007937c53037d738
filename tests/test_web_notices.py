"""Notices through the real app (SQLite and PostgreSQL): a submission's steps tell the people
concerned, reminders before deadlines, the inbox, and the e-mail of notices."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from mic2025.services import notices
from store_fixtures import BACKENDS, StoreTemplates
from test_followup_warn import loopback_smtp
from test_web_support import (
    add_users,
    app,
    bearer,
    client,
    csrf_of,
    log_in,
    make_app,
    tokens,
    upload,
)

__all__ = ["app", "tokens"]  # fixtures


def _items(page: str) -> list[str]:
    box = page[page.index('id="inbox"'):page.index("</ul>", page.index('id="inbox"'))]
    return [re.sub(r"<[^>]+>", "", li).strip()
            for li in re.findall(r"<li[^>]*>(.*?)</li>", box, re.S)]


def _submitted(app: FastAPI, tokens: dict[str, str]) -> int:
    c = client(app)
    sid = int(upload(c, tokens["gd-editor"]).json()["id"])
    assert c.post(f"/api/submissions/{sid}/submit",
                  headers=bearer(tokens["gd-editor"])).status_code == 200
    return sid


def test_a_submission_tells_its_approvers_and_a_return_tells_its_editor(
        app: FastAPI, tokens: dict[str, str]) -> None:
    sid = _submitted(app, tokens)
    c = client(app)
    log_in(c, "gd-approver")
    items = _items(c.get("/inbox").text)
    assert len(items) == 1
    assert f"广东省2024年报送（第{sid}号）已由gd-editor提交，等待审核" in items[0]
    r = c.post(f"/api/submissions/{sid}/return", headers=bearer(tokens["gd-approver"]),
               json={"comment": "研发投入强度口径不对"})
    assert r.status_code == 200, r.text

    editor = client(app)
    log_in(editor, "gd-editor")
    page = editor.get("/inbox").text
    items = _items(page)
    assert len(items) == 1 and "unread" in page
    assert f"广东省2024年报送（第{sid}号）已被gd-approver退回：研发投入强度口径不对" in items[0]
    english = _items(editor.get("/inbox?lang=en").text)
    assert f"Guangdong 2024 submission #{sid} was returned by gd-approver" in english[0]
    # the approver who returned it is not told of its own step; Beijing hears nothing
    assert len(_items(c.get("/inbox").text)) == 1
    other = client(app)
    log_in(other, "bj-editor")
    assert _items(other.get("/inbox").text) == ["没有消息。"]


def test_an_approval_tells_the_editor_and_reading_marks_the_inbox(
        app: FastAPI, tokens: dict[str, str]) -> None:
    sid = _submitted(app, tokens)
    c = client(app)
    assert c.post(f"/api/submissions/{sid}/approve", headers=bearer(tokens["gd-approver"]),
                  json={}).status_code == 200
    log_in(c, "gd-editor")
    page = c.get("/inbox").text
    assert any(f"（第{sid}号）已被gd-approver批准" in i for i in _items(page))
    assert 'class="notice-approved unread"' in page
    r = c.post("/inbox/read", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303
    page = c.get("/inbox").text
    assert "unread" not in page and any("批准" in i for i in _items(page))


def test_the_inbox_belongs_to_an_account(app: FastAPI) -> None:
    r = client(app).get("/inbox")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_reminder_goes_to_the_editors_before_a_deadline_once(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    today = datetime.now(UTC).date()
    due = today + timedelta(days=5)
    assert c.post("/api/deadlines", headers=bearer(tokens["admin"]),
                  json={"year": 2024, "due": due.isoformat()}).status_code == 204
    engine = app.state.platform.engine
    # far off: nothing; within seven days: one reminder to each editor of a province
    assert notices.remind(engine, today - timedelta(days=10)) == 0
    assert notices.remind(engine, today) == 2  # gd-editor and bj-editor
    assert notices.remind(engine, today) == 0
    log_in(c, "gd-editor")
    items = _items(c.get("/inbox").text)
    assert len(items) == 1
    assert f"广东省2024年数据报送将于{due.year}年{due.month}月{due.day}日截止" not in items[0]
    assert f"广东省2024年数据报送将于{due.isoformat()}截止（还有5天），尚未提交" in items[0]
    # the day before, a second reminder; a province that submitted gets none
    _submitted(app, tokens)
    assert notices.remind(engine, due - timedelta(days=1)) == 1  # Beijing only


def test_notices_are_emailed_to_the_provinces_entry_where_smtp_is_configured(
        app: FastAPI, tokens: dict[str, str]) -> None:
    sid = _submitted(app, tokens)
    engine = app.state.platform.engine
    owners = app.state.platform.followup.owners
    assert notices.send(engine, owners, url="") == notices.Sent(0, 0)
    with loopback_smtp() as (port, got):
        sent = notices.send(engine, owners, url=f"smtp://127.0.0.1:{port}?from=p@example.org")
        assert sent == notices.Sent(1, 1)
        msg = got.inbox["warnings.440000@example.org"][0]
        assert f"第{sid}号" in msg.get_content()
        again = notices.send(engine, owners, url=f"smtp://127.0.0.1:{port}?from=p@example.org")
        assert again == notices.Sent(0, 0) and len(got.messages) == 1


def test_remind_refuses_negative_days(app: FastAPI) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        notices.remind(app.state.platform.engine, date(2025, 1, 1), days=(-1,))


def test_the_notices_command_writes_the_reminders_due(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    from click.testing import CliRunner

    from mic2025.cli import main
    from mic2025.permissions import Actor
    from mic2025.services import accounts, submissions
    from mic2025.store import open_store

    db = sqlite_copy(tmp_path / "n.sqlite", evidence=False)  # notices load no bundle
    store = open_store(db)
    try:
        system = Actor(id=None, username="setup", via="system")
        accounts.create_user(store.engine, system, "sc-editor", "correct horse battery",
                             [accounts.parse_grant("prov_editor:510000")])
        submissions.set_deadline(store.engine, system, 2024,
                                 datetime.now(UTC).date() + timedelta(days=3))
    finally:
        store.close()
    r = CliRunner().invoke(main, ["notices", "--db", db, "--no-email"])
    assert r.exit_code == 0, r.output
    assert "reminders written: 1" in r.output
    r = CliRunner().invoke(main, ["notices", "--db", db, "--days", "1", "--no-email"])
    assert r.exit_code == 0 and "reminders written: 0" in r.output


@pytest.fixture(params=BACKENDS)
def two_level_app(request: pytest.FixtureRequest, tmp_path: Path,
                  store_templates: StoreTemplates) -> Iterator[FastAPI]:
    """The platform with its default two approval levels (province, then national)."""
    with store_templates.copy(request.param, tmp_path) as url:
        application = make_app(url, approval_levels=None)
        try:
            yield application
        finally:
            application.state.platform.close()


def test_under_two_levels_the_province_endorses_and_the_nation_is_told_then_accepts(
        two_level_app: FastAPI) -> None:
    app = two_level_app
    assert app.state.settings.approval_levels == 2
    tokens = add_users(app)
    sid = _submitted(app, tokens)
    c = client(app)
    r = c.post(f"/api/submissions/{sid}/approve", headers=bearer(tokens["gd-approver"]),
               json={})
    assert r.json()["status"] == "endorsed", r.text

    editor = client(app)
    log_in(editor, "gd-editor")
    items = _items(editor.get("/inbox").text)
    assert len(items) == 1
    assert f"广东省2024年报送（第{sid}号）已由gd-approver省级审核通过，等待国家验收" in items[0]
    assert "批准。" not in items[0]
    english = _items(editor.get("/inbox?lang=en").text)
    assert (f"Guangdong 2024 submission #{sid} was endorsed by gd-approver for the province "
            "and awaits national acceptance") in english[0]

    nation = client(app)
    log_in(nation, "national")
    page = nation.get("/inbox").text
    items = _items(page)
    assert len(items) == 1 and f'href="/submissions/{sid}"' in page
    assert f"广东省2024年报送（第{sid}号）已由gd-approver省级审核通过，等待您验收" in items[0]

    # the national e-mail goes to the directory's national entry (here its fallback, the
    # leading group's office), the editor's to the province's entry
    engine, owners = app.state.platform.engine, app.state.platform.followup.owners
    with loopback_smtp() as (port, got):
        sent = notices.send(engine, owners, url=f"smtp://127.0.0.1:{port}?from=p@example.org")
        assert sent == notices.Sent(2, 3)  # submitted + endorsed to Guangdong, one national
        national = got.inbox["leading-group-office@example.org"][0].get_content()
        assert f"第{sid}号" in national and "等待您验收" in national
        assert "warnings.440000@example.org" in got.inbox

    r = c.post(f"/api/submissions/{sid}/accept", headers=bearer(tokens["national"]), json={})
    assert r.json()["status"] == "approved", r.text
    for name, reader in (("gd-editor", editor), ("gd-approver", client(app))):
        if name == "gd-approver":
            log_in(reader, name)
        told = _items(reader.get("/inbox?lang=zh").text)
        assert f"广东省2024年报送（第{sid}号）已被national验收。" in told[0], name
    # the national approver is not told of its own acceptance
    assert len(_items(nation.get("/inbox").text)) == 1
