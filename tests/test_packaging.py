"""pyproject lists its packages by hand (tools/ installs as agentlm_tools): every package must be listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_under_agentlm_is_listed_and_has_an_init() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {p.parent for p in (ROOT / "agentlm").rglob("*.py") if "__pycache__" not in p.parts}
    for folder in folders:
        assert (folder / "__init__.py").is_file(), f"{folder} has modules but no __init__.py"
    found = {".".join(f.relative_to(ROOT).parts) for f in folders}
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"] == {"agentlm_tools": "tools", "agentlm_ui": "ui"}
    assert {"agentlm_tools", "agentlm_ui"} <= listed


def test_install_leaves_out_only_the_bare_requirements() -> None:
    """`make install` installs xgrammar without triton: scripts/requirements.py must drop xgrammar and nothing else."""
    import subprocess
    import sys

    script = ROOT / "scripts" / "requirements.py"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)

    rest = run("--extra", "dev", "--bare", "xgrammar").stdout.split()
    only = run("--only", "xgrammar").stdout.split()
    every = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    assert only == [r for r in project["dependencies"] if r.startswith("xgrammar")]
    assert set(rest) | set(only) == every and not set(rest) & set(only)
    unknown = run("--only", "no-such-package")
    assert unknown.returncode != 0 and "no-such-package" in unknown.stderr
    assert "scripts/requirements.py --extra dev --bare xgrammar" in (ROOT / "Makefile").read_text()
