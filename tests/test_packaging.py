"""What Chalice zips (app.py, chalicelib/, requirements.txt) holds no developer-only code."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = {"sdk.py", "cli.py", "cli_plan.py", "cli_remote.py", "local"}


def _modules(package: Path) -> list[Path]:
    return [p for p in package.rglob("*.py") if "__pycache__" not in p.parts]


def test_chalicelib_holds_no_sdk_cli_or_local_stack():
    # Bytecode left over from before the move is the deploy script's to clean, not a source file.
    left = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chalicelib").rglob("*")
                  if "__pycache__" not in p.parts and (p.name in DEV_ONLY or p.stem.startswith("cli")))
    assert left == []
    assert (ROOT / "luthier" / "sdk.py").is_file() and (ROOT / "luthier" / "local" / "stack.py").is_file()


def test_the_deployed_code_never_imports_the_developer_package():
    offenders = []
    for path in [ROOT / "app.py", *_modules(ROOT / "chalicelib")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "luthier"]
    assert offenders == []


def test_the_cli_offers_plan_and_the_remote_commands():
    result = subprocess.run([sys.executable, "-m", "luthier.cli", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "python -m luthier.cli" in result.stdout
    for command in ("plan", "submit", "status", "download"):
        assert command in result.stdout
