"""Suite-wide settings.

Tests that need a service (``postgres``, ``browser``) skip with a reason when it is absent
on a developer's machine. CI sets ``MIC2025_REQUIRE_SERVICES=1``: there such a skip is turned
into a failure, so a missing service can never make the suite look green.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mic2025.store import Store, open_store
from store_fixtures import BACKENDS, MIGRATED, StoreTemplates, cheap_hasher, fresh_url

SERVICE_MARKERS = ("postgres", "browser", "spark")
REPO = Path(__file__).resolve().parents[1]

# Python's cyclic garbage collector ran thousands of times a run and spent about a fifth of the
# suite's time walking the same long-lived objects (modules, the collected tests, the parsed
# plan) and the live objects of the test running. Here it runs between tests instead, every
# GC_EVERY tests, over what was made since it last ran: what survived a run (the session's
# templates, shared apps, caches) is moved out of its sight. What a test leaves in reference
# cycles is still collected, a few tests later.
GC_EVERY = 20
_since_gc = 0


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.disable()


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    global _since_gc
    _since_gc += 1
    if _since_gc >= GC_EVERY:
        _since_gc = 0
        gc.collect()
        gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("MIC2025_REQUIRE_SERVICES") == "1"
        and any(item.get_closest_marker(m) for m in SERVICE_MARKERS)
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"service required in CI but skipped: {reason}"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id for every account a test makes, with parameters small enough for a test
    suite (the production parameters cost about 0.1 s a hash)."""
    from mic2025.services import accounts

    cheap = cheap_hasher()
    # an unknown user's log-in is checked against a hash by this hasher too, so it is cheap
    # as well (the throttling tests try hundreds)
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", cheap)


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                    store_templates: StoreTemplates) -> None:
    """No test touches the user's real store: the default store is a file of the test's own
    (beside ``tmp_path``, which stays empty for the test), a copy of the migrated empty
    template — what the first command to open it would make, but the migrations ran once a
    session instead of once a test."""
    path = tmp_path_factory.mktemp("default-store") / "store.sqlite"
    shutil.copyfile(store_templates.sqlite_file(MIGRATED), path)
    monkeypatch.setenv("MIC2025_DB", f"sqlite:///{path}")


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreTemplates]:
    """Migrated stores with the bundled evidence, one per backend, built once a session."""
    templates = StoreTemplates(tmp_path_factory.mktemp("store-templates"))
    try:
        yield templates
    finally:
        templates.close()


#: modules whose every test is slow (``pytestmark = pytest.mark.slow``) and whose import alone
#: costs seconds: the API fuzzing builds an app and generates its cases at collection
SLOW_MODULES = frozenset({"test_web_schema.py"})


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip importing a :data:`SLOW_MODULES` module when the run deselects slow tests
    (``-m "not slow …"``, as ``make unit``): its tests would be deselected anyway, and every
    worker would pay for the import."""
    if collection_path.name in SLOW_MODULES and "not slow" in (config.option.markexpr or ""):
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A Spark test starts a JVM and a local cluster: it counts as slow as well."""
    for item in items:
        if item.get_closest_marker("spark") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sqlite_copy(store_templates: StoreTemplates) -> Callable[..., str]:
    """``sqlite_copy(path)``: the URL of a copy at ``path`` of the SQLite store holding the
    bundled evidence — what the first command on a new store leaves behind —, or with
    ``evidence=False`` of the migrated empty store. For tests whose subject is not the first
    run: it costs a file copy instead of the migrations and the bundle's import."""

    def copy(path: Path, *, evidence: bool = True) -> str:
        shutil.copyfile(store_templates.sqlite_file("" if evidence else MIGRATED), path)
        return f"sqlite:///{path}"

    return copy


# a fresh, migrated, empty store per test on each backend: on SQLite a copy of the session's
# migrated template (a module with its own ``store`` fixture, e.g. one holding the bundled
# evidence, overrides these)
@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str, store_templates: StoreTemplates) -> Iterator[Store]:
    # a database not made yet (a module's ``store_url`` may have filled one) is the migrated
    # template: the migrations ran once, there
    store_templates.migrate_into(store_url)
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()
