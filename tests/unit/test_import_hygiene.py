"""pos_core, devices and loyalty_service must load without Textual (house rule 1)."""

import subprocess
import sys

import pytest


def every_module(package: str) -> str:
    """Every module of ``package``, found on disk, so a new one is checked without a list to keep."""
    import importlib.util
    import pkgutil

    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    names = [package] + [info.name for info in pkgutil.walk_packages(spec.submodule_search_locations, f"{package}.")]
    return ", ".join(name for name in names if not name.endswith("__main__")) + (
        ", devices.__main__" if package == "devices" else ", loyalty_service.__main__" if package == "loyalty_service" else "")


@pytest.mark.parametrize("modules", [every_module(package) for package in ("pos_core", "devices", "loyalty_service")],
                         ids=["pos_core", "devices", "loyalty_service"])
def test_core_packages_do_not_import_textual(modules: str) -> None:
    code = f"import sys; import {modules}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'cashier_tui', 'selfcheckout')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_service_does_not_import_the_till() -> None:
    """The service and the till share only the API contract."""
    code = "import sys, loyalty_service.app, loyalty_service.__main__; print(sorted({m.split('.')[0] for m in sys.modules} & {'pos_core', 'devices'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_core_never_reaches_into_devices() -> None:
    """devices builds on pos_core, so pos_core imports nothing from devices, not even inside a
    function (which importing the modules would not show): read every import statement."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "pos_core"
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(root.parent)}:{node.lineno} {name}" for name in names
                      if name.split(".")[0] == "devices"]
    assert found == []
