from pathlib import Path

import pytest

import themes


def test_bundled_themes_load() -> None:
    names = {theme.name for theme in themes.bundled_themes()}
    assert {"store", "store-light", "high-contrast"} <= names


def test_bad_theme_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "oops.toml"
    path.write_text('primary = "#fff"\nprimry = "#000"\n')
    with pytest.raises(themes.ThemeError, match="oops.toml: unknown theme key primry"):
        themes.load_theme_file(path)
