"""The catalog codes CONTRACT §5 requires every deployment to ship, written out once for the tests."""

from __future__ import annotations

AGENCIES = {
    "court.110105": "court",
    "samr.110000": "samr",
    "tax.110000": "tax",
    "mee.110000": "mee",
    "procurement.110000": "procurement",
}

ALL_KINDS = {"court", "samr", "tax", "mee", "procurement", "other"}

# record type -> (agency kinds allowed, list it places its subject on)
RECORD_TYPES: dict[str, tuple[set[str], str | None]] = {
    "court.defaulter": ({"court"}, "defaulter"),
    "court.consumption_restriction": ({"court"}, "consumption_restricted"),
    "admin.penalty": (ALL_KINDS, None),
    "admin.license": (ALL_KINDS, None),
    "tax.rating": ({"tax"}, "red_list"),
    "tax.major_violation": ({"tax"}, "tax_major_violation"),
    "market.abnormal_operations": ({"samr"}, "abnormal_operations"),
    "market.serious_illegal": ({"samr"}, "serious_dishonesty"),
    "inspection.result": (ALL_KINDS, None),
    "procurement.debarment": ({"procurement"}, "procurement_debarred"),
}

CONSUMPTION = {
    "air_ticket",
    "rail_g_train",
    "rail_first_class",
    "rail_soft_sleeper",
    "ship_second_class",
    "star_hotel",
    "real_estate_purchase",
    "vehicle_purchase",
    "luxury_travel",
    "private_school_fees",
    "high_premium_insurance",
}

# list -> effect -> actions: the minimum each list does (CONTRACT §5 table).
MATRIX: dict[str, dict[str, set[str]]] = {
    "consumption_restricted": {"deny": CONSUMPTION, "review": set(), "expedite": set()},
    "defaulter": {
        "deny": CONSUMPTION
        | {
            "gov_procurement_bid",
            "public_tender",
            "gov_subsidy",
            "serve_as_legal_rep",
            "civil_service_hire",
            "honor_award",
        },
        "review": {"bank_loan", "market_entry_license"},
        "expedite": set(),
    },
    "procurement_debarred": {
        "deny": {"gov_procurement_bid", "public_tender"},
        "review": set(),
        "expedite": set(),
    },
    "serious_dishonesty": {
        "deny": {"honor_award"},
        "review": {"market_entry_license", "gov_procurement_bid", "public_tender"},
        "expedite": set(),
    },
    "abnormal_operations": {
        "deny": {"honor_award"},
        "review": {"gov_procurement_bid", "public_tender"},
        "expedite": set(),
    },
    "tax_major_violation": {
        "deny": {"honor_award"},
        "review": {"gov_procurement_bid", "bank_loan"},
        "expedite": set(),
    },
    "red_list": {"deny": set(), "review": set(), "expedite": {"market_entry_license"}},
}

ACTIONS = set().union(*(set().union(*effects.values()) for effects in MATRIX.values()))
LISTS = set(MATRIX)
