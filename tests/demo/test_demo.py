"""`callmeter demo`: a newcomer sees prepaid enforcement in one command."""

from __future__ import annotations

import subprocess
import sys

from tests.support.daemon import ROOT


def test_demo_shows_a_cut_off_a_completed_call_rejections_and_postpaid() -> None:
    result = subprocess.run([sys.executable, "-m", "agent", "demo", "--quick", "--no-live"],
                            cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if line[:4].isdigit()}
    # 0.08 of credit at 1 ct/s: cut by callmeter after 8 s, nothing left, never below zero.
    assert "ended (MANAGER_REQUEST)" in rows["1001"]
    assert rows["1001"].split()[5] == "0.00"
    # 5.5 s with 1.00: completes on its own, 6 started seconds charged.
    assert "ended (NORMAL_CLEARING)" in rows["1002"]
    assert rows["1002"].split()[5] == "0.94"
    # No credit, and no account at all: refused at park, never answered.
    assert "rejected" in rows["1003"]
    assert "rejected" in rows["1009"]
    # Postpaid: not limited, charged after the call.
    assert "ended (NORMAL_CLEARING)" in rows["1004"]
    assert rows["1004"].split()[5] == "-0.05"
