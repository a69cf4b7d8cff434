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
