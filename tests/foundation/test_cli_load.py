"""`callmeter load`: a tariff-plan folder into the configured store, all or nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rating.store import open_store
from rating.tariffdocs import DESTINATIONS
from tests.support.daemon import ROOT

TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"


def _load(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "c.yaml"
    config.write_text(f'store: {{url: "sqlite:///{tmp_path / "c.db"}"}}\n')
    return subprocess.run([sys.executable, "-m", "agent", "load", "-c", str(config), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def _destinations(tmp_path: Path) -> list[str]:
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        return store.list_ids(DESTINATIONS)
    finally:
        store.close()


def test_shipped_tutorial_plan_loads(tmp_path: Path) -> None:
    result = _load(tmp_path, str(TUTORIAL))
    assert result.returncode == 0, result.stderr
    assert "loaded (" in result.stdout
    assert _destinations(tmp_path)


def test_dry_run_checks_without_writing(tmp_path: Path) -> None:
    result = _load(tmp_path, "--dry-run", str(TUTORIAL))
    assert result.returncode == 0, result.stderr
    assert "checked (" in result.stdout
    assert _destinations(tmp_path) == []


def test_broken_folder_reports_file_line_column_and_loads_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "tp"
    folder.mkdir()
    (folder / "Destinations.csv").write_text("#Id,Prefix\nDST_1,1002\n")
    (folder / "DestinationRates.csv").write_text(
        "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy\n"
        "DR_1,DST_X,RT_1,*up,4,0,\n")
    result = _load(tmp_path, str(folder))
    assert result.returncode == 1
    assert "DestinationRates.csv:2:2: destination 'DST_X' does not exist" in result.stdout
    assert "nothing loaded" in result.stdout
    assert _destinations(tmp_path) == []


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = _load(tmp_path, str(tmp_path / "absent"))
    assert result.returncode == 2
    assert "not a readable folder" in result.stdout
