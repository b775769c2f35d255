"""Docs stay true: the configuration reference is generated from the settings model."""

from __future__ import annotations

from pathlib import Path

from ironwatch.cli.commands import settings_markdown
from ironwatch.cli.main import build_parser
from ironwatch.config import iter_settings

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_current() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text() == settings_markdown(), \
        "run: ironwatch config docs > docs/configuration.md"


def test_every_setting_has_help() -> None:
    assert all(help_text for _, _, help_text in iter_settings())


def test_every_command_is_in_the_cli_reference() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"ironwatch {name}" in text, f"docs/cli.md does not document `ironwatch {name}`"
