"""constraints/lower-bounds.txt pins exactly the `>=` bounds of pyproject.toml's runtime
dependencies (base and `[critic]`): the lower-bounds job (scripts/ci/lower_bounds.sh) tests what
pyproject declares, so a bound missing from the file is a bound nobody tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]


def declared_bounds() -> dict[str, Version]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out: dict[str, Version] = {}
    for line in [*project["dependencies"], *project["optional-dependencies"]["critic"]]:
        req = Requirement(line)
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert lows, f"{line}: every runtime dependency declares a lower bound"
        out[canonicalize_name(req.name)] = max(lows)
    return out


def pinned() -> dict[str, Version]:
    out: dict[str, Version] = {}
    for line in (REPO / "constraints" / "lower-bounds.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line).groups()  # type: ignore[union-attr]
            out[canonicalize_name(name)] = Version(version)
    return out


def test_lower_bounds_file_pins_every_declared_bound() -> None:
    declared, pins = declared_bounds(), pinned()
    assert sorted(declared) == sorted(pins), f"missing: {set(declared) - set(pins)}, extra: {set(pins) - set(declared)}"
    wrong = {name: (str(declared[name]), str(pins[name])) for name in declared if declared[name] != pins[name]}
    assert not wrong, f"pyproject bound vs pinned: {wrong}"
