"""Fixtures for the synthetic-province tests: one small province, generated once for the session."""

from __future__ import annotations

import pytest
from synth_feeds import Province

from xinyong.synth import SynthParams, generate


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Province:
    """The default small province (2,000 organisations, 3,000 people, 3 years)."""
    out = tmp_path_factory.mktemp("province")
    params = SynthParams()
    return Province(out, params, generate(out, params))
