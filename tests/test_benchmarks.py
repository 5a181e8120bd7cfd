"""The benchmark entry point runs end to end in its tiny configuration (times not asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._common import abba
from benchmarks.requests_spent import discovery, optimal_listing

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("1", "2", "3", "4", "5", "6a", "6b")
MEASURED = re.compile(
    r"\d+\.\d\dx( faster)?"  # a ratio
    r"|\d+\.\d MB \(list: \d+\.\d MB\)"  # memory growth
    r"|\d+ requests"  # requests spent
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    env = {**os.environ, "PYTHONWARNINGS": "error"}  # in the probes and server too
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text()


def _rows(text: str) -> dict[str, list[str]]:
    """The rows of the results table (the first table), by scenario number."""
    table = text.split("| # | scenario |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_quick_run_writes_a_row_per_scenario_with_well_formed_figures(results: str) -> None:
    rows = _rows(results)
    assert list(rows)[: len(SCENARIOS)] == list(SCENARIOS)  # others may follow
    for number, cells in rows.items():
        assert len(cells) == 6, number
        assert cells[5] in ("pass", "**FAIL**", "not run"), cells
        if number in SCENARIOS:  # rows added by other modules have their own formats
            assert MEASURED.fullmatch(cells[4]), cells


def test_quick_run_names_the_machine_and_says_it_is_not_a_measurement(results: str) -> None:
    assert "Quick run" in results
    assert re.search(r"^- CPU: .+, \d+ logical cores", results, re.MULTILINE)
    assert re.search(r"^- Python 3\.\d+", results, re.MULTILINE)
    assert "## How each figure was measured" in results


@pytest.mark.parametrize(
    ("total", "page_size", "limit", "optimum", "allowance"),
    [
        (1_000, 30, 100, 34, 1),  # a cap below the limit: one request may find it
        (990, 30, 100, 34, 1),  # a full last page: the empty page after it is needed
        (1_000, 100, 100, 11, 0),  # full pages prove the size: nothing to discover
        (60, 100, 100, 1, 1),  # one short page: end or cap? one more request tells
    ],
)
def test_optimum_counts_pages_and_the_closing_empty_page(
    total: int, page_size: int, limit: int, optimum: int, allowance: int
) -> None:
    assert optimal_listing(total, page_size) == optimum
    assert discovery(total, page_size, limit) == allowance


def test_abba_reverses_every_other_repetition() -> None:
    assert "".join(abba("AB", 4)) == "ABBAABBA"
    assert list(abba(["x"], 0)) == []
