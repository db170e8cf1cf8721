"""A reworded principle is labelled with its base wording's calibration on both sides of a shift,
so a whitespace edit cannot slip out of a strict fitted threshold (nor move labels whose
probabilities did not move)."""

from __future__ import annotations

from pathlib import Path

from fixtures.shift_support import Version, build_repo, thresholds

from constitution_studio.core.analysis.gate import run_check


def test_a_whitespace_reword_keeps_the_base_calibration(tmp_path: Path, tiny_model_dir: Path) -> None:
    model = str(tiny_model_dir)

    def base(v: Version) -> None:
        v.critic_extra = "  device: cpu\n" + thresholds(model, HARM_01=0.001)

    def head(v: Version) -> None:
        v.statements["HARM-01"] = v.statements["HARM-01"] + " "

    root = build_repo(tmp_path / "repo", model, base_edit=base, head_edit=head)
    result = run_check(root, "main", "head")
    shift = result.shift
    assert shift is not None
    harm = [c for c in shift.cases if "HARM-01" in c.principles_head and c.kind == "single"]
    assert harm and all(c.head and c.head.labels.get("HARM-01") == "violates" for c in harm)  # threshold 0.001
    assert not [c.case_id for c in harm if c.flipped]
    assert any("calibration of HARM-01 (fitted for the base wording) labels both sides" in w for w in shift.warnings)
    assert not any("calibration of HARM-01 ignored" in w for w in shift.warnings)
