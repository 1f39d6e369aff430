"""Scoring a stored scorecard needs NumPy and pandas only: never OptBinning or scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xinyong.scoring import ScorecardModel

SCRIPT = """
import json, sys
import pandas as pd
from xinyong.scoring import ScorecardModel, score_frame, to_sql
model = ScorecardModel.from_dict(json.loads(open(sys.argv[1]).read()))
scores = score_frame(model, pd.DataFrame({"arrears": [0.0, 5.0], "sector": ["a", "c"]}))
to_sql(model, "entities", "id")
heavy = sorted(m for m in ("optbinning", "sklearn", "ortools") if m in sys.modules)
print(json.dumps({"scores": scores.tolist(), "heavy": heavy}))
"""


@pytest.mark.integration
def test_scoring_loads_neither_optbinning_nor_sklearn(tiny: ScorecardModel, tmp_path: Path) -> None:
    stored = tmp_path / "model.json"
    stored.write_text(json.dumps(tiny.to_dict()), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(stored)], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout)
    assert result == {"scores": [545.0, 475.0], "heavy": []}
