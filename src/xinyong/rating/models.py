"""Which model rates: the declared models of the catalog and the versions stored in the registry.

Every rating names a stored model version, and a stored version holds its whole declaration (features,
grades, rules or fitted points), so any past rating can be recomputed even after ratings.yaml changed.
A rule model is stored the first time it is used; changing its declaration without a new `version`
is refused rather than silently giving one version two meanings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from xinyong.catalog.model import Catalog, RatingModel
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.scoring import GradeBand, RuleScorecard, ScorecardModel
from xinyong.store import ratings as repo
from xinyong.store.ratings import Connection

DEFINITION_FORMAT = "xinyong.rating/1"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to rate with: its declaration, stored version and the scorecard that computes it."""

    decl: RatingModel
    version: str
    rule: RuleScorecard | None = None
    scorecard: ScorecardModel | None = None

    @property
    def code(self) -> str:
        return self.decl.code

    @property
    def kind(self) -> str:
        return self.decl.kind


def bands(decl: RatingModel) -> list[GradeBand]:
    """The score bands of a model, best first (grades only an override assigns are not bands)."""
    return [GradeBand(g.grade, g.min) for g in decl.grades if not g.assigned_only]


def rule_scorecard(decl: RatingModel) -> RuleScorecard:
    """The rule scorecard a rule model declares, validated; unknown features are caught here."""
    if decl.rule is None:
        raise InvalidInput(f"model {decl.code!r} is not a rule model", field="model")
    data = {
        **decl.rule,
        "code": decl.code,
        "version": decl.version,
        "grades": [{"grade": b.grade, "min": b.min} for b in bands(decl)],
    }
    card = RuleScorecard.from_dict(data)
    declared = {f.code for f in decl.features}
    used = {a.feature for a in card.adjustments} | _condition_features(decl.rule.get("overrides", []))
    missing = sorted(used - declared - {"score"})
    if missing:
        raise InvalidInput(f"model {decl.code!r}: rules use undeclared features {missing}", field="rule")
    known = {g.grade for g in decl.grades}
    for override in card.overrides:
        if override.grade not in known:
            raise InvalidInput(f"override {override.code!r} gives undeclared grade {override.grade}", field="rule")
    return card


def definition(decl: RatingModel, scorecard: ScorecardModel | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON stored with a model version."""
    out: dict[str, Any] = {"format": DEFINITION_FORMAT, "declared": decl.model_dump(mode="json")}
    if scorecard is not None:
        out["scorecard"] = scorecard.to_dict()
    out.update(extra)
    return out


def from_row(row: repo.ModelRow) -> ResolvedModel:
    """A stored version back as a model to rate with."""
    data = row.definition
    if data.get("format") != DEFINITION_FORMAT:
        raise InvalidInput(f"model {row.code} {row.version}: unknown definition format", field="definition")
    try:
        decl = RatingModel.model_validate(data["declared"])
    except (KeyError, ValidationError) as exc:
        raise InvalidInput(
            f"model {row.code} {row.version}: stored declaration is invalid: {exc}", field="definition"
        ) from None
    if row.kind == "rule":
        return ResolvedModel(decl=decl, version=row.version, rule=rule_scorecard(decl))
    return ResolvedModel(decl=decl, version=row.version, scorecard=ScorecardModel.from_dict(data.get("scorecard", {})))


def declared(catalog: Catalog, code: str) -> RatingModel:
    """A model the catalog declares, or a user error listing the ones it does."""
    decl = catalog.rating_models.get(code)
    if decl is None:
        known = ", ".join(catalog.rating_models) or "none"
        raise InvalidInput(f"unknown rating model {code!r}; the catalog declares: {known}", field="model")
    return decl


def resolve(conn: Connection, catalog: Catalog, code: str | None) -> ResolvedModel:
    """The model to rate with: the one named, else the first statistical model that has been trained,
    else the first rule model. A statistical model must have been trained (`xinyong model train`)."""
    if code is None:
        for decl in catalog.rating_models.values():
            if decl.kind == "statistical" and repo.get_model(conn, decl.code) is not None:
                code = decl.code
                break
        else:
            rules = [d.code for d in catalog.rating_models.values() if d.kind == "rule"]
            if not rules:
                raise NotFound("the catalog declares no rule model and no statistical model is trained", field="model")
            code = rules[0]
    decl = declared(catalog, code)
    if decl.kind == "statistical":
        row = repo.get_model(conn, code)
        if row is None:
            raise NotFound(
                f"model {code!r} has not been trained: run `xinyong model train --model {code}`", field="model"
            )
        return from_row(row)
    return ResolvedModel(decl=decl, version=decl.version, rule=rule_scorecard(decl))


def ensure_stored(conn: Connection, model: ResolvedModel, *, at: datetime) -> None:
    """Store a rule model's version on first use; refuse a changed declaration under an old version."""
    if model.rule is None:
        return
    wanted = definition(model.decl)
    row = repo.get_model(conn, model.code, model.version)
    if row is None:
        repo.save_model(
            conn, code=model.code, version=model.version, kind="rule", definition=wanted, trained_at=at, metrics={}
        )
    elif dict(row.definition) != wanted:
        raise Conflict(
            f"model {model.code!r} version {model.version} is stored with a different declaration; "
            "give the changed model a new version in ratings.yaml",
            field="version",
        )


def next_version(conn: Connection, decl: RatingModel) -> str:
    """The version a newly trained statistical model gets: the declared version, a dot, a serial."""
    prefix = f"{decl.version}."
    taken = [r.version for r in repo.model_versions(conn, decl.code) if r.version.startswith(prefix)]
    serials = [int(v[len(prefix) :]) for v in taken if v[len(prefix) :].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1}"


def _condition_features(overrides: Sequence[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()

    def walk(cond: Any) -> None:
        if isinstance(cond, Mapping):
            if isinstance(cond.get("feature"), str):
                found.add(cond["feature"])
            for key in ("all", "any"):
                for nested in cond.get(key, []) or []:
                    walk(nested)

    for override in overrides:
        if isinstance(override, Mapping):
            walk(override.get("when"))
    return found
