"""The permission table itself: its rules exist, its doc is current, the walk's refusal list is real."""

from __future__ import annotations

import importlib
from pathlib import Path

from bot.permission_doc import render_markdown
from bot.permission_table import TABLE, Persona
from tests.e2e.permission_walk import NL, REFUSALS, REFUSALS_EN


def test_every_refusal_is_a_translated_message() -> None:
    """The refusal list used by the walk holds real msgids (a typo would make every denial look unknown)."""
    assert all(NL.gettext(text) != text for text in REFUSALS_EN)
    assert len(REFUSALS) == len(REFUSALS_EN)


def test_every_rule_names_a_real_check() -> None:
    """Each row's rule is a predicate that exists (or "anyone")."""
    for row in TABLE:
        if row.rule == "anyone":
            continue
        module, _, name = row.rule.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name, None)), row.rule


def test_the_doc_is_current() -> None:
    """docs/permissions.md is what the table renders to (./dev check says the same)."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    assert doc.read_text(encoding="utf-8") == render_markdown()


def test_every_row_has_a_cell_for_every_persona() -> None:
    """No persona is forgotten in a row."""
    for row in TABLE:
        assert set(row.cells) == set(Persona), row.key
    assert len({row.key for row in TABLE}) == len(TABLE)
