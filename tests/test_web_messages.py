"""Every deliberate error a page shows is said in the reader's language, with names, never codes.

The walk goes through the real app (SQLite and PostgreSQL) on the Chinese interface and hits
the refusals a person meets — each page must say its message in Chinese, no English sentence
left; the API keeps its English text and carries the translation's key. The structural test
reads the services' source: every deliberate error they raise names a translation key, or says
on the line above why no page shows it.
"""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from mic2025 import errors, i18n
from mic2025.permissions import Grant
from mic2025.services import accounts
from test_web_support import (
    PASSWORD,
    SYSTEM,
    app,
    bad_file,
    bearer,
    client,
    csrf_of,
    log_in,
    tokens,
    upload,
)

__all__ = ["app", "tokens"]  # fixtures

SERVICES = Path(__file__).resolve().parents[1] / "src/mic2025/services"
_ENGLISH = re.compile(r"[A-Za-z][a-z]+(?: [A-Za-z]+){3,}")


def _said(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    assert found, "not an error page"
    return unescape(found.group(1)).strip()


def _chinese(r: Any, *expected: str) -> str:
    """The page's message: Chinese, no English sentence, holding each of ``expected``."""
    text = _said(r.text)
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert not _ENGLISH.search(text), text
    for part in expected:
        assert part in text, (part, text)
    return text


def test_the_error_paths_say_their_message_in_chinese_with_names(
        app: FastAPI, tokens: dict[str, str]) -> None:
    engine = app.state.platform.engine
    accounts.create_user(engine, SYSTEM, "gd-both", PASSWORD,
                         [Grant("prov_editor", area="440000"),
                          Grant("prov_approver", area="440000")])
    api = client(app)
    # a submission with a bad cell: its page lists the problem in Chinese, by indicator name
    bad = int(upload(api, tokens["gd-editor"], data=bad_file()).json()["id"])
    editor = client(app)
    log_in(editor, "gd-editor")
    page = editor.get(f"/submissions/{bad}").text
    assert "规模以上制造业研发经费内部支出占主营业务收入比重" in page and "不是数字" in page
    token = csrf_of(page)
    # submitting it is refused, counting its problems
    _chinese(editor.post(f"/submissions/{bad}/submit", data={"csrf_token": token}),
             f"第{bad}号报送有 2 个问题")
    # another province's form is not this editor's: refused by name, not code
    refused = editor.get("/submissions/entry", params={"area": "110000", "year": 2024})
    assert refused.status_code == 403
    _chinese(refused, "gd-editor无权上传或填报数据", "北京市")
    # a step that does not exist
    _chinese(editor.post(f"/submissions/{bad}/nonsense", data={"csrf_token": token}),
             "nonsense")

    # self-approval, whatever grants the person holds
    both = client(app)
    log_in(both, "gd-both")
    own = int(upload(api, tokens["gd-editor"], year=2023).json()["id"])
    page = both.get(f"/submissions/{own}").text
    both.post(f"/submissions/{own}/submit", data={"csrf_token": csrf_of(page)})
    _chinese(both.post(f"/submissions/{own}/approve", data={"csrf_token": csrf_of(page)}),
             "任何层级都不能审批自己的报送")
    # a return without a reason
    approver = client(app)
    log_in(approver, "gd-approver")
    page = approver.get(f"/submissions/{own}").text
    _chinese(approver.post(f"/submissions/{own}/return",
                           data={"csrf_token": csrf_of(page), "comment": " "}),
             "退回报送须说明理由")
    # approving a draft, a submission that is not awaiting approval: the state in words
    _chinese(approver.post(f"/submissions/{bad}/approve", data={"csrf_token": csrf_of(page)}),
             f"第{bad}号报送的状态是“草稿”")

    admin = client(app)
    log_in(admin, "admin")
    page = admin.get("/admin/users").text
    # a duplicate account, and a grant for an unknown role
    _chinese(admin.post("/admin/users", data={"csrf_token": csrf_of(page),
                                               "username": "gd-editor", "password": PASSWORD,
                                               "roles": "analyst"}),
             "用户“gd-editor”已存在")
    _chinese(admin.post("/admin/users", data={"csrf_token": csrf_of(page), "username": "x1",
                                               "password": PASSWORD, "roles": "boss"}),
             "没有“boss”这个角色")
    # a round already closed
    r = api.post("/api/thirdparty/rounds", headers=bearer(tokens["admin"]),
                 json={"id": "r-msg", "as_of": "2025-06-30"})
    assert r.status_code == 201, r.text
    page = admin.get("/followup/thirdparty/r-msg").text
    for _ in range(2):
        closed = admin.post("/followup/thirdparty/r-msg/close",
                            data={"csrf_token": csrf_of(page)})
    _chinese(closed, "评价轮次 r-msg 已于", "由 admin 关闭")
    # an indicator the plan does not have
    _chinese(admin.get("/indicators/no_such_metric"), "规划中没有指标 no_such_metric")

    # the API keeps its English text, and names the translation's key
    r = api.post(f"/api/submissions/{own}/return", headers=bearer(tokens["gd-approver"]),
                 json={"comment": ""})
    assert r.status_code == 409
    assert r.json() == {"detail": "say why the submission is returned (a comment, or a reason "
                                  "on a figure, is required)", "key": "error.return_reason"}


def _raised(node: ast.Raise) -> ast.Call | None:
    """The exception constructed by ``raise X(...)`` or ``raise X(...).saying(...)``."""
    exc = node.exc
    if isinstance(exc, ast.Call) and isinstance(exc.func, ast.Attribute) \
            and exc.func.attr == "saying":
        return None  # said: has its key
    return exc if isinstance(exc, ast.Call) else None


def _error_class(module: Any, call: ast.Call) -> type | None:
    name = ast.unparse(call.func)
    try:
        found = eval(name, vars(module))  # a name or dotted name of the module's imports
    except Exception:
        return None
    return found if isinstance(found, type) else None


def test_every_deliberate_error_of_the_services_names_a_translation_key() -> None:
    import importlib

    unsaid = []
    # the services, and the platform's follow-up desk whose refusals reach pages the same way
    for path in [*sorted(SERVICES.glob("*.py")), SERVICES.parent / "web" / "followup.py"]:
        module = importlib.import_module(
            f"mic2025.{path.parent.name}.{path.stem}")
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            call = _raised(node)
            if call is None:
                continue
            cls = _error_class(module, call)
            if cls is None or not issubclass(cls, errors.Mic2025Error):
                continue
            # an error no page shows says why on the line above (a comment)
            if lines[node.lineno - 2].strip().startswith("#"):
                continue
            unsaid.append(f"{path.name}:{node.lineno}")
    assert unsaid == [], f"errors raised without a translation key: {unsaid}"
    # and every key the sources name is in the table, in both languages
    keys = set()
    for path in [*SERVICES.glob("*.py"), *(SERVICES.parent / "web").rglob("*.py")]:
        keys |= set(re.findall(r'saying\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
        keys |= set(re.findall(r'PageError\([^)]*?"((?:error|round)\.[a-z_]+)"',
                               path.read_text(encoding="utf-8"), re.S))
    assert keys and all(i18n.has(k) and all(i18n.entry(k)) for k in keys), \
        sorted(k for k in keys if not i18n.has(k))


def test_the_follow_up_desk_refuses_in_the_readers_language(app: FastAPI,
                                                            tokens: dict[str, str]) -> None:
    analyst = client(app)
    log_in(analyst, "analyst")
    _chinese(analyst.get("/followup/midterm", params={"year": 2019}),
             "2019年不是本规划的目标年份", "2020, 2025")
    r = analyst.get("/api/midterm/2019/document.docx", headers=bearer(tokens["analyst"]))
    assert r.status_code == 422  # the API: English, with the key
    assert r.json() == {"detail": "2019 is not a target year of the plan (2020, 2025)",
                        "key": "error.not_target_year"}


def test_a_page_with_fields_that_do_not_validate_says_which_in_the_readers_language(
        app: FastAPI, tokens: dict[str, str]) -> None:
    analyst = client(app)
    log_in(analyst, "analyst")
    # was FastAPI's English JSON on a page: "Input should be a valid integer…"
    _chinese(analyst.get("/followup/midterm", params={"year": "abc"}),
             "请求中的参数有误", "“year”须为整数")
    _chinese(analyst.get("/followup/midterm", params={"year": 1800}), "“year”不得小于 1949")
    english = analyst.get("/followup/midterm", params={"year": "abc", "lang": "en"})
    assert english.status_code == 422 and "year must be a whole number" in english.text
    # the API keeps FastAPI's list, which clients parse
    r = analyst.get("/api/midterm/abc/document.docx", headers=bearer(tokens["analyst"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "year"]


def test_the_bulk_approval_page_says_each_outcome_in_the_readers_language(
        app: FastAPI, tokens: dict[str, str]) -> None:
    api = client(app)
    good = int(upload(api, tokens["gd-editor"], year=2022).json()["id"])
    r = api.post(f"/api/submissions/{good}/submit", headers=bearer(tokens["gd-editor"]))
    assert r.status_code == 200, r.text
    draft = int(upload(api, tokens["gd-editor"], year=2021).json()["id"])
    approver = client(app)
    log_in(approver, "gd-approver")
    token = csrf_of(approver.get("/submissions").text)
    page = approver.post("/submissions/bulk-approve",
                         data={"csrf_token": token, "ids": [good, draft]})
    assert page.status_code == 200, page.text
    items = [unescape(re.sub(r"<[^>]+>", "", li))
             for li in re.findall(r"<li class=\"(?:ok|error)\">(.*?)</li>", page.text, re.S)]
    assert len(items) == 2, items
    assert items[0].startswith(f"#{good}") and "已批准" in items[0], items  # one level here
    assert items[1].startswith(f"#{draft}") and "草稿" in items[1], items
    assert not any(_ENGLISH.search(i) for i in items), items
