"""The seed's boundary: the two domains hand off JSON, never Python imports."""
from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "chalicelib"


def _imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update((str(path), alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path), node.module))
    return found


def _offenders(package: str, forbidden: str) -> list[str]:
    return sorted(f"{path}: {mod}" for path, mod in _imports(package)
                  if mod == forbidden or mod.startswith(forbidden + "."))


def test_art_studio_never_imports_rmos():
    assert _imports("art_studio"), "art_studio package not found"
    assert _offenders("art_studio", "chalicelib.rmos") == []


def test_rmos_never_imports_art_studio():
    assert _imports("rmos"), "rmos package not found"
    assert _offenders("rmos", "chalicelib.art_studio") == []


def test_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    pkg = tmp_path / "art_studio"
    pkg.mkdir()
    (pkg / "bad.py").write_text("from chalicelib.rmos.cam import worker\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _offenders("art_studio", "chalicelib.rmos")
