"""``benchmarks/platform.py`` at a tiny size: both modes run and their checks pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

import benchmark_modules

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "platform.py"


def _bench() -> ModuleType:
    return benchmark_modules.load("platform")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    env.pop("MIC2025_DB", None)
    return subprocess.run([sys.executable, str(BENCH), "--clients", "2", "--cpu-requests", "5",
                           *args], capture_output=True, text=True, env=env, timeout=600,
                          cwd=ROOT)


def test_each_cycle_is_a_new_file_and_the_loops_stop() -> None:
    bench = _bench()
    files = {bench._figures("110000", 2024, cycle) for cycle in range(50)}
    assert len(files) == 50  # a file already imported would not become a vintage of its own
    assert bench._going(2, 3, None) and not bench._going(3, 3, None)
    assert not bench._going(0, 3, time.perf_counter() - 1)  # past the deadline: no more
    assert bench._going(10, 3, time.perf_counter() + 3600)  # rounds do not count then


@pytest.mark.slow
def test_duration_mode_stores_every_cycle_exactly_once() -> None:
    done = _run("--duration", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    accepted = re.search(r"^ok: (\d+) submissions of 31 provinces accepted, each stored "
                         r"exactly once \((\d+) vintages", done.stdout, re.M)
    assert accepted is not None, done.stdout
    assert int(accepted[1]) >= 31 and accepted[1] == accepted[2]
    assert "31 provinces cycling upload/submit/approve, for 2 s" in done.stdout
    assert re.search(r"approvals' server time in parts: wait p50=\d", done.stdout)


@pytest.mark.slow
def test_rounds_mode_is_one_cycle_per_province() -> None:
    done = _run("--rounds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^ok: 31 submissions of 31 provinces accepted", done.stdout, re.M)
    assert "2 readers × 1 rounds × 5 pages" in done.stdout


@pytest.mark.slow  # a child server: two workers and the writer process start and stop
def test_the_child_server_sends_every_approval_to_its_writer_process() -> None:
    done = _run("--rounds", "1", "--server", "subprocess", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^ok: 31 submissions of 31 provinces accepted", done.stdout, re.M)
    assert "(2 workers, a writer process)" in done.stdout
    served = re.search(r"^served by worker \(process id\): reads (.*); approvals (\d+) 31$",
                       done.stdout, re.M)
    assert served is not None, done.stdout
    readers = {int(part.split()[0]) for part in served[1].split(", ")}
    assert int(served[2]) not in readers  # one process answered all 31, and no read


def test_a_duration_out_of_range_is_refused() -> None:
    done = _run("--duration", "0")
    assert done.returncode == 2
    assert "--duration must be more than 0 and at most 3600 seconds, not 0.0" in done.stderr
