"""Random byte edits, truncation and duplicated lines in the example files: `validate` never raises.

Whatever the bytes, loading returns findings (each with a path inside the root and a line
within the file) and the CLI exits 0 or 1; never a traceback, never exit 2 or 3.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constitution_studio.cli import main
from constitution_studio.core.workspace import load_root

MINI = Path(__file__).parents[1] / "fixtures" / "mini"
FILES = sorted(str(p.relative_to(MINI)) for p in MINI.rglob("*.yaml"))


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(FILES))
    data = bytearray((MINI / rel).read_bytes())
    kind = draw(st.sampled_from(["bytes", "truncate", "duplicate", "delete-lines", "splice"]))
    if kind == "bytes":
        for _ in range(draw(st.integers(1, 8))):
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] = draw(st.integers(0, 255))
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    else:
        lines = bytes(data).splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(i, min(len(lines), i + 4)))
        if kind == "duplicate":
            lines[j:j] = lines[i:j]
        elif kind == "delete-lines":
            del lines[i:j]
        else:
            lines.insert(i, draw(st.sampled_from([b"  - [\n", b'"\n', b"key: &a *a\n", b"? [x]\n", b"\t- x\n"])))
        data = bytearray(b"".join(lines))
    return rel, bytes(data)


@settings(
    max_examples=int(os.environ.get("CSTUDIO_MUTATIONS", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(change=mutation())
def test_validate_never_raises(change: tuple[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("mut") / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    rel, data = change
    (root / rel).write_bytes(data)
    ws = load_root(root)
    for finding in ws.findings:
        assert not finding.path.startswith(("/", ".."))
        assert finding.line >= 1 and finding.col >= 1
        path = root / finding.path
        if path.is_file():
            assert finding.line <= path.read_bytes().count(b"\n") + 1, finding.format()
    assert main(["validate", "--root", str(root)]) in (0, 1)
