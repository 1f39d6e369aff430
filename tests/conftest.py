"""Shared fixtures: a fixed clock, and a database fixture that runs each storage test on SQLite and PostgreSQL."""

from __future__ import annotations
