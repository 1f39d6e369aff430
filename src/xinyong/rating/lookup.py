"""One organisation's latest rating, for the API and the subject's file: full, or cut to the public part.

The public part is the grade with its label, the model and version, and the reasons' labels; the score
and the points each reason cost are for regulators (and the operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xinyong.catalog.model import Catalog
from xinyong.errors import InvalidInput, NotFound
from xinyong.ids import uscc
from xinyong.store import Store, subjects
from xinyong.store import ratings as repo


@dataclass(frozen=True)
class RatingView:
    """A stored rating with the subject it is about and the grade's labels."""

    uscc: str
    subject_key: str
    name: str
    rating: repo.RatingRow
    grade_label_zh: str | None
    grade_label_en: str | None

    @property
    def division(self) -> str:
        """The registration division in the USCC (positions 3-8), which decides the regulator."""
        return self.uscc[2:8]

    def as_dict(self, *, full: bool) -> dict[str, Any]:
        """The rating as shown: everything when `full`, else only the public part."""
        r = self.rating
        out: dict[str, Any] = {
            "uscc": self.uscc,
            "subject": self.subject_key,
            "name": self.name,
            "grade": r.grade,
            "grade_label_zh": self.grade_label_zh,
            "grade_label_en": self.grade_label_en,
            "model": r.model_code,
            "version": r.model_version,
            "as_of": r.as_of,
            "view": "full" if full else "public",
        }
        if full:
            out["score"] = r.score
            out["rated_at"] = r.rated_at
            out["reasons"] = [dict(x) for x in r.reasons]
        else:
            out["reasons"] = [
                {"code": x.get("code"), "label_zh": x.get("label_zh"), "label_en": x.get("label_en")} for x in r.reasons
            ]
        return out


def latest_view(store: Store, catalog: Catalog, raw_id: str) -> RatingView:
    """The latest rating of the organisation with this USCC; a bad USCC is a user error, none is 404."""
    check = uscc.validate(uscc.normalize(raw_id))
    if not check.valid or check.normalized is None:
        raise InvalidInput(f"{raw_id!r} is not a valid USCC: {check.reason}", field="uscc")
    code = check.normalized
    with store.connect() as conn:
        subject = subjects.get_by_id_value(conn, code)
        if subject is None or subject.kind != "org":
            raise NotFound(f"no organisation with USCC {code} in the registry", field="uscc")
        rating = repo.latest_rating(conn, subject.pk)
    if rating is None:
        raise NotFound(f"{code} has not been rated", field="uscc")
    model = catalog.rating_models.get(rating.model_code)
    grade = model.grade(rating.grade) if model is not None else None
    return RatingView(
        uscc=code,
        subject_key=subject.key,
        name=subject.name,
        rating=rating,
        grade_label_zh=grade.label_zh if grade else None,
        grade_label_en=grade.label_en if grade else None,
    )


__all__ = ["RatingView", "latest_view"]
