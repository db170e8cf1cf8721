"""`cstudio import` as text: the files written (or that would be), the counts, what was skipped or not mapped.

Every value from the imported file (IDs, reasons, paths) is shown through `sanitize`.
"""

from __future__ import annotations

from constitution_studio.core.imports.report import MAX_LINES_SHOWN, ImportReport
from constitution_studio.core.sanitize import sanitize


def _ids(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(sanitize(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")


def import_summary(report: ImportReport) -> str:
    """The one line of counts (all that --quiet prints)."""
    what = "principles" if report.kind == "principles" else "cases"
    counts = [
        f"{report.records} read",
        f"{len(report.new)} new",
        f"{len(report.updated)} updated",
        f"{report.unchanged} unchanged",
    ]
    if report.differ:
        counts.append(f"{len(report.differ)} differ (kept; --update replaces them: {_ids(report.differ)})")
    counts.append(f"{len(report.skipped)} skipped")
    done = " (dry run: nothing written)" if report.dry_run else "" if report.files else " (nothing to write)"
    return f"{what}: " + ", ".join(counts) + done


def import_text(report: ImportReport) -> str:
    what = "principles" if report.kind == "principles" else "cases"
    verb = "would " if report.dry_run else ""
    lines = []
    for change in report.files:
        parts = []
        if change.added:
            parts.append(f"+{len(change.added)} {what}: {_ids(change.added)}")
        if change.updated:
            parts.append(f"{len(change.updated)} replaced: {_ids(change.updated)}")
        action = {"create": "create", "append": "append to", "update": "update"}[change.action]
        lines.append(f"{verb}{action} {sanitize(change.path)} ({'; '.join(parts)})")
    if report.skipped:
        lines.append("skipped:")
        lines += [f"  {sanitize(s.where)}: {sanitize(s.reason)}" for s in report.skipped[:MAX_LINES_SHOWN]]
        if len(report.skipped) > MAX_LINES_SHOWN:
            lines.append(f"  ... and {len(report.skipped) - MAX_LINES_SHOWN} more (--format json lists all)")
    if report.notes:
        lines.append("not mapped as it stands:")
        lines += [f"  {sanitize(n)}" for n in report.notes]
    lines.append(import_summary(report))
    return "\n".join(lines) + "\n"
