"""The synthetic province: companies and people with latent risk, years of events, each agency's feed
in its own shape and noise, and the truth that linkage, listing and ratings are scored against."""

from __future__ import annotations

from xinyong.synth.generator import SynthSummary, generate, work_units
from xinyong.synth.params import (
    PRESETS,
    EventRates,
    NoiseRates,
    PopulationParams,
    RiskParams,
    SynthParams,
    preset,
)
from xinyong.synth.truth import FeedSummary

__all__ = [
    "PRESETS",
    "EventRates",
    "FeedSummary",
    "NoiseRates",
    "PopulationParams",
    "RiskParams",
    "SynthParams",
    "SynthSummary",
    "generate",
    "preset",
    "work_units",
]
