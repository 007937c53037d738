"""The browser assets fetched at install time, and the check that they are there.

The pages load ECharts and the China province map from ``static/vendor/``, filled by
``scripts/fetch-web-assets.sh`` from the npm registry (checked against ``ASSETS.lock``).
Without them the charts could not draw, so the app refuses to start and says what to run.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..errors import Mic2025Error

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"
LOCK = VENDOR / "ASSETS.lock"


class AssetsMissing(Mic2025Error):
    """The vendored browser assets are not installed."""


def locked_files() -> list[tuple[str, str, str]]:
    """(package, version, file) of every asset ASSETS.lock lists."""
    out = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, version, _member, _sha, _licence, target = line.split("\t")
        out.append((name, version, target))
    return out


def check_assets() -> None:
    missing = [f"{target} (npm {name}@{version})" for name, version, target in locked_files()
               if not (VENDOR / target).is_file()]
    if missing:
        raise AssetsMissing(
            "the web assets are not installed: " + ", ".join(missing) + f" missing from "
            f"{VENDOR}. Run scripts/fetch-web-assets.sh (it fetches them from the npm "
            "registry and checks them against ASSETS.lock)."
        )


@cache  # the lock file is installed with the assets; every page footer names them
def versions() -> dict[str, str]:
    return {name: version for name, version, _ in locked_files()}
