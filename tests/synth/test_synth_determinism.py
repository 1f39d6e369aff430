"""The same params give byte-identical files, in this process and in another with a different hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xinyong.synth import SynthParams, generate, work_units

TINY = SynthParams(orgs=300, persons=450, years=2)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", TINY)
    generate(tmp_path / "b", TINY)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == [
        "feeds/court.110105.csv",
        "feeds/mee.110000.csv",
        "feeds/procurement.110000.parquet",
        "feeds/samr.110000.xlsx",
        "feeds/tax.110000.jsonl",
        "truth/feeds.json",
        "truth/outcomes.csv",
        "truth/records.csv",
        "truth/subjects.csv",
    ]
    assert [name for name in a if a[name] != b[name]] == []


def test_another_seed_another_province(tmp_path: Path) -> None:
    generate(tmp_path / "a", TINY)
    generate(tmp_path / "b", TINY.with_sizes(seed=TINY.seed + 1))
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert all(a[name] != b[name] for name in a)


@pytest.mark.integration
def test_another_process_with_another_hash_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "here", TINY)
    env = os.environ | {"PYTHONHASHSEED": "12345"}
    code = (
        "import sys; from pathlib import Path; from xinyong.synth import SynthParams, generate; "
        "generate(Path(sys.argv[1]), SynthParams(orgs=300, persons=450, years=2))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "there")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert _files(tmp_path / "here") == _files(tmp_path / "there")


def test_progress_reports_every_unit_of_work(tmp_path: Path) -> None:
    steps: list[int] = []
    generate(tmp_path / "p", TINY, advance=steps.append)
    assert all(n >= 0 for n in steps)
    assert sum(steps) == work_units(TINY) == 300 + 450 + 2 * (300 + 450)
    assert len(steps) > 10
