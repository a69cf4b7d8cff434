"""Print pyproject's requirements (core + the given extras), one per line, leaving out the ones named by --bare.

`make install` uses it to install xgrammar without its declared dependency triton: triton is 1 GB of GPU
kernels that xgrammar lists on Linux x86_64 but never imports on the CPU. The venv is ~1 GB smaller for it.

    python scripts/requirements.py --extra dev --bare xgrammar     # everything else
    python scripts/requirements.py --only xgrammar                 # the bare ones, with their pins
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def requirement_name(requirement: str) -> str:
    """The distribution name of a requirement string, normalised ("Foo_Bar>=1" -> "foo-bar")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def project_requirements(extras: list[str]) -> list[str]:
    """Core dependencies plus those of the named extras, in pyproject order, without duplicates."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extra(s) {unknown}; pyproject has {sorted(optional)}")
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += [r for r in optional[extra] if r not in requirements]
    return requirements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", default=[], help="an optional-dependencies group to add")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--bare", nargs="+", metavar="NAME", help="leave these out")
    group.add_argument("--only", nargs="+", metavar="NAME", help="print only these")
    args = parser.parse_args()
    requirements = project_requirements(args.extra)
    names = {requirement_name(n) for n in (args.bare or args.only)}
    missing = names - {requirement_name(r) for r in requirements}
    if missing:
        raise SystemExit(f"not in pyproject's requirements: {sorted(missing)}")
    keep = (lambda r: requirement_name(r) not in names) if args.bare else (lambda r: requirement_name(r) in names)
    print("\n".join(r for r in requirements if keep(r)))


if __name__ == "__main__":
    main()
