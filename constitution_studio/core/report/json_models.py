"""Result models of the JSON outputs that had none: validate, log, cache, calibrate.

Each command dumps one of these (with its schema id first, report_schemas.with_schema), and
docs/schema/<kind>.report.schema.json is generated from it, so what is printed and what is
published cannot drift apart.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from constitution_studio.core.findings import Finding
from constitution_studio.core.history import LogEntry


class ValidationReport(BaseModel):
    """`cstudio validate --format json`."""

    ok: bool = Field(description="No errors (warnings allowed).")
    errors: int
    warnings: int
    principles: int = Field(description="Principles loaded.")
    cases: int = Field(description="Eval cases loaded.")
    findings: list[Finding] = Field(description="Every problem, root causes first; paths as docs/formats.md says.")


class PrincipleLog(BaseModel):
    """`cstudio log ID --format json`: the commits that changed one principle, newest first."""

    id: str
    commits: list[LogEntry]


class CacheGroup(BaseModel):
    model: str
    template: str
    method: str
    variant: str
    entries: int


class CacheReport(BaseModel):
    """`cstudio cache stats|clear --format json`."""

    path: str = Field(description="The score cache file.")
    entries: int | None = Field(default=None, description="stats: scores cached.")
    bytes: int | None = Field(default=None, description="stats: size on disk, with the WAL.")
    groups: list[CacheGroup] = Field(
        default_factory=list, description="stats: scores per model/template/method/variant."
    )
    cleared: int | None = Field(default=None, description="clear: scores deleted.")


class CalibrationRow(BaseModel):
    principle_id: str
    n: int = Field(description="Gold single-response cases the principle answers for.")
    violates: int = Field(description="Of them, gold `violates`.")
    threshold: float | None
    platt_a: float | None
    platt_b: float | None
    before: dict[str, float | None] = Field(description="Figures at the default threshold.")
    after_cv: dict[str, float | None] = Field(description="Cross-validated figures with the fit.")
    kept: bool = Field(description="Written to critic.calibration.")


class CalibrationReport(BaseModel):
    """`cstudio calibrate --format json`."""

    critic: dict[str, object] = Field(description="The critic that was calibrated (model, method, templates).")
    written: str | None = Field(description="The file written, or null (dry run, nothing to write).")
    removed: list[str] = Field(description="Principles whose stale calibration was removed.")
    principles: list[CalibrationRow]
