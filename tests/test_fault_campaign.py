"""A small fault campaign in the suite: the full one is benchmarks/fault_campaign.py.

`loa run` processes are killed with SIGKILL at random moments while the sandbox fails calls the
way the platforms do; afterwards nothing is published twice and nothing is lost.
"""
from __future__ import annotations

import pytest

from benchmarks.fault_campaign import run


@pytest.mark.slow
def test_killed_and_faulty_nothing_twice_nothing_lost(tmp_path):
    result = run(deliveries=30, kills=3, fault_rate=0.2, seed=11, workdir=tmp_path, max_seconds=240,
                 echo=lambda m: None)
    assert result["deliveries"] >= 30
    assert result["published_twice"] == 0, result
    assert result["lost"] == 0, result
    assert result["untracked"] == 0, result
    assert result["published_but_not_on_platform"] == 0, result
    assert result["states"].get("published", 0) >= result["deliveries"] * 0.8, result
