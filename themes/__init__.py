"""Themes as data: each ``*.toml`` here is a Textual theme; the ``.tcss`` files are the apps' styles.

A store can add its own theme file (``load_theme_file``); a broken one is reported and the
default theme is used instead, so a bad colour never stops a till.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from importlib.resources import files
from pathlib import Path

from textual.theme import Theme

DEFAULT_THEME = "store"
THEMES_DIR = Path(str(files(__package__)))
CASHIER_CSS = THEMES_DIR / "cashier.tcss"
KIOSK_CSS = THEMES_DIR / "kiosk.tcss"
CUSTOMER_DISPLAY_CSS = THEMES_DIR / "customer_display.tcss"
KIOSK_THEME = "kiosk"

_THEME_FIELDS = {f.name for f in fields(Theme)} - {"name"}


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ThemeError(f"{path}: {error}") from None
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeError(f"{path}: unknown theme key {', '.join(unknown)}")
    if "primary" not in data:
        raise ThemeError(f"{path}: a theme needs at least a 'primary' colour")
    try:
        return Theme(name=path.stem.replace("_", "-"), **data)
    except (TypeError, ValueError) as error:
        raise ThemeError(f"{path}: {error}") from None


def bundled_themes() -> list[Theme]:
    """The themes shipped with the apps, by file name (``high_contrast.toml`` is ``high-contrast``)."""
    return [load_theme_file(path) for path in sorted(THEMES_DIR.glob("*.toml"))]
