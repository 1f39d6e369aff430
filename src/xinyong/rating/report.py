"""The model report: one HTML page and one JSON document per model version, plots as PNG images.

Written under `<XINYONG_HOME>/reports/model-<code>-<version>/`. The page shows discrimination (AUC, KS,
Gini, ROC), calibration (curve and Brier score), the grade distribution with observed bad rates,
stability (PSI between consecutive yearly snapshots, alert at 0.1) and fairness across district,
industry and ownership: each group's adverse-grade rate and its favourable-rate ratio to the most
favoured group, flagged below 0.8 (a prompt for review, not a finding).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xinyong.catalog.model import RatingModel
from xinyong.errors import InvalidInput
from xinyong.rating.evaluation import FAIRNESS_GROUPS

PSI_ALERT = 0.1
PSI_ACTION = 0.25
_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written."""

    folder: Path
    html: Path
    json: Path
    images: tuple[Path, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "html": str(self.html),
            "json": str(self.json),
            "images": [str(p) for p in self.images],
        }


def report_folder(home: Path, code: str, version: str) -> Path:
    """`<home>/reports/model-<code>-<version>/`, with anything but plain characters replaced."""
    return home / "reports" / f"model-{_SAFE.sub('_', code)}-{_SAFE.sub('_', version)}"


def write_report(home: Path, metrics: Mapping[str, Any], decl: RatingModel) -> ReportFiles:
    """Render the metrics of a model version as JSON, PNG plots and an HTML page."""
    folder = report_folder(home, str(metrics.get("model", decl.code)), str(metrics.get("version", decl.version)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / "report.json"
        json_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        images = _plots(folder, metrics, decl)
        html_path = folder / "report.html"
        html_path.write_text(_page(metrics, decl, images), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write the report to {folder}: {exc.strerror or exc}", field="home") from None
    return ReportFiles(folder, html_path, json_path, tuple(images))


# --- plots ------------------------------------------------------------------------------------------


def _plots(folder: Path, metrics: Mapping[str, Any], decl: RatingModel) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    test = metrics.get("test", {})
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = folder / name
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    if test.get("roc"):
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        xs, ys = zip(*test["roc"], strict=True)
        ax.plot(xs, ys, label=f"AUC {test['auc']:.3f}")
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, test {test['day']}")
        ax.legend(loc="lower right")
        save(fig, "roc.png")
    if test.get("calibration"):
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        predicted = [b["predicted"] for b in test["calibration"]]
        observed = [b["observed"] for b in test["calibration"]]
        top = max([*predicted, *observed, 0.01]) * 1.1
        ax.plot(predicted, observed, marker="o")
        ax.plot([0, top], [0, top], linestyle="--", color="grey")
        ax.set(
            xlabel="mean predicted bad rate",
            ylabel="observed bad rate",
            title=f"Calibration (Brier {test.get('brier', 0):.4f})",
        )
        save(fig, "calibration.png")
    if test.get("grades"):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        grades = [g["grade"] for g in test["grades"]]
        ax.bar(grades, [g["count"] for g in test["grades"]], color="#4c72b0")
        ax.set(xlabel="grade", ylabel="entities", title="Grades on the test snapshot")
        rates = ax.twinx()
        rates.plot(
            grades,
            [g["bad_rate"] if g["bad_rate"] is not None else float("nan") for g in test["grades"]],
            color="#c44e52",
            marker="o",
        )
        rates.set_ylabel("observed bad rate")
        save(fig, "grades.png")
    if metrics.get("psi"):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        labels = [f"{p['from'][:4]}→{p['to'][:4]}" for p in metrics["psi"]]
        ax.bar(labels, [p["psi"] or 0.0 for p in metrics["psi"]], color="#55a868")
        ax.axhline(PSI_ALERT, color="#dd8452", linestyle="--", label="0.10 alert")
        ax.axhline(PSI_ACTION, color="#c44e52", linestyle="--", label="0.25 action")
        ax.set(ylabel="PSI of scores", title="Stability between yearly snapshots")
        ax.legend()
        save(fig, "stability.png")
    fairness = metrics.get("fairness", {})
    dims = [d for d in FAIRNESS_GROUPS if fairness.get(d, {}).get("available")]
    if dims:
        fig, axes = plt.subplots(len(dims), 1, figsize=(6, 2.2 + 0.25 * sum(len(fairness[d]["groups"]) for d in dims)))
        axes = [axes] if len(dims) == 1 else list(axes)
        for ax, dim in zip(axes, dims, strict=True):
            groups = fairness[dim]["groups"]
            ratios = [g["ratio"] if g["ratio"] is not None else 0.0 for g in groups]
            colours = ["#c44e52" if g["flagged"] else "#4c72b0" for g in groups]
            ax.barh([_ascii(g["group"]) for g in groups], ratios, color=colours)
            ax.axvline(0.8, color="black", linestyle="--")
            ax.set(xlim=(0, 1.05), title=f"{dim}: favourable-rate ratio (flag < 0.8)")
        save(fig, "fairness.png")
    return written


# --- page -------------------------------------------------------------------------------------------


def _page(metrics: Mapping[str, Any], decl: RatingModel, images: Sequence[Path]) -> str:
    test = metrics.get("test", {})
    e = html.escape
    title = f"{decl.label_en} ({metrics.get('model')} {metrics.get('version')})"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Model report: {e(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}.flag{color:#c44e52;font-weight:bold}</style>",
        "</head><body>",
        f"<h1>Model report: {e(title)}</h1>",
        f"<p>{e(decl.label_zh)} · kind {e(str(metrics.get('kind')))} · history {e(str(metrics.get('history')))}"
        f" · test snapshot {e(str(test.get('day')))} ({test.get('entities')} entities, {test.get('bad')} bad)</p>",
        "<h2>Discrimination and calibration</h2>",
        _table(
            ["measure", "value"],
            [
                [name, _fmt(test.get(key))]
                for name, key in (("AUC", "auc"), ("KS", "ks"), ("Gini", "gini"), ("Brier", "brier"))
            ],
        ),
        "<h2>Snapshots</h2>",
        _table(
            ["day", "entities", "bad", "AUC", "KS"],
            [
                [s["day"], s["entities"], s["bad"], _fmt(s.get("auc")), _fmt(s.get("ks"))]
                for s in metrics.get("snapshots", [])
            ],
        ),
        "<h2>Grades (test snapshot)</h2>",
        _table(
            ["grade", "entities", "share", "observed bad rate"],
            [[g["grade"], g["count"], _fmt(g["share"]), _fmt(g["bad_rate"])] for g in test.get("grades", [])],
        ),
        "<h2>Stability (PSI of scores)</h2>",
        _table(
            ["from", "to", "PSI", ""],
            [
                [p["from"], p["to"], _fmt(p["psi"]), "alert" if (p["psi"] or 0) >= PSI_ALERT else "stable"]
                for p in metrics.get("psi", [])
            ],
        ),
        "<h2>Fairness</h2>",
    ]
    fairness = metrics.get("fairness", {})
    for dim in FAIRNESS_GROUPS:
        part = fairness.get(dim)
        if not part or not part.get("available"):
            parts.append(f"<p>{e(dim)}: not available (no company register was supplied)</p>")
            continue
        parts.append(f"<h3>{e(dim)} (reference: {e(part['reference'])})</h3>")
        rows = []
        for g in part["groups"]:
            flag = '<span class="flag">below 0.8</span>' if g["flagged"] else ""
            rows.append([g["group"], g["count"], _fmt(g["adverse_rate"]), _fmt(g["ratio"]), flag])
        parts.append(_table(["group", "entities", "adverse-grade rate", "ratio", "flag"], rows, raw_last=True))
    if metrics.get("features"):
        parts.append("<h2>Features</h2>")
        rows = [
            [f["code"], _fmt(f["iv"]), _fmt(f["coefficient"]), f.get("direction") or "", len(f["bins"])]
            for f in metrics["features"]
        ]
        parts.append(_table(["feature", "IV", "coefficient", "direction", "bins"], rows))
        monotonic = metrics.get("monotonic", {})
        signs = metrics.get("signs", {})
        parts.append(
            f"<p>Monotone bins: {sum(monotonic.values())} of {len(monotonic)} numeric features; "
            f"expected coefficient signs: {sum(signs.values())} of {len(signs)}.</p>"
        )
        if metrics.get("excluded"):
            parts.append(_table(["excluded feature", "reason"], [[k, v] for k, v in metrics["excluded"].items()]))
    for image in images:
        parts.append(f'<p><img src="{e(image.name)}" alt="{e(image.stem)}"></p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], *, raw_last: bool = False) -> str:
    e = html.escape
    out = ["<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = [e(str(c)) for c in row]
        if raw_last:
            cells[-1] = str(row[-1])  # our own markup, never data
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _ascii(label: str) -> str:
    """A plot label in Latin letters: the default fonts carry no CJK glyphs, so Chinese becomes pinyin."""
    if label.isascii():
        return label
    from pypinyin import lazy_pinyin

    return "".join(part.capitalize() for part in lazy_pinyin(label))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
