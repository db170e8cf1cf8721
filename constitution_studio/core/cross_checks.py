"""Checks across files, run once every file of a version is loaded (core/workspace.py).

Each finding points at the line that would fix it: the priority entry, the case's link, or the
principle's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constitution_studio.core.findings import Severity
from constitution_studio.core.models import PLACEHOLDER_STATEMENT, Status
from constitution_studio.core.source import CONSTITUTION_FILE

if TYPE_CHECKING:
    from constitution_studio.core.workspace import Workspace


def cross_check(ws: Workspace) -> None:
    """Add the findings that need every file loaded: the priority order against the principles,
    case links against principle IDs, principles no case tests."""
    if ws.constitution is not None:
        seen: dict[str, int] = {}
        for index, pid in enumerate(ws.constitution.priority):
            if pid in seen:
                ws.report(
                    Severity.ERROR,
                    CONSTITUTION_FILE,
                    ("priority", index),
                    "priority-duplicate",
                    f"{pid} is listed twice in priority (first at rank {seen[pid] + 1})",
                    principle_id=pid,
                )
                continue
            seen[pid] = index
            principle = ws.principles.get(pid)
            if principle is None and pid in ws.broken_ids:
                continue  # its file did not load; that file's own finding is the root cause
            if principle is None:
                ws.report(
                    Severity.ERROR,
                    CONSTITUTION_FILE,
                    ("priority", index),
                    "priority-unknown-id",
                    f"priority names {pid}, but there is no principles/{pid}.yaml",
                    principle_id=pid,
                )
            elif principle.status is Status.DEPRECATED:
                ws.report(
                    Severity.WARNING,
                    CONSTITUTION_FILE,
                    ("priority", index),
                    "priority-deprecated",
                    f"{pid} is deprecated but still in the priority order",
                    principle_id=pid,
                )
        for pid, principle in ws.principles.items():
            if pid not in seen and principle.status is not Status.DEPRECATED:
                ws.report(
                    Severity.ERROR,
                    CONSTITUTION_FILE,
                    ("priority",),
                    "priority-missing",
                    f"{principle.status.value} principle {pid} is missing from priority",
                    principle_id=pid,
                )
    for cid, path in ws.case_paths.items():
        index = ws.case_indexes[cid]
        first: dict[str, int] = {}
        for j, pid in enumerate(ws.cases[cid].principles):
            if pid in first:
                ws.report(
                    Severity.ERROR,
                    path,
                    ("cases", index, "principles", j),
                    "link-duplicate",
                    f"case {cid} is linked to {pid} twice (first at position {first[pid] + 1} of principles)",
                    case_id=cid,
                    principle_id=pid,
                )
                continue
            first[pid] = j
            if pid not in ws.principles and pid not in ws.broken_ids:
                ws.report(
                    Severity.ERROR,
                    path,
                    ("cases", index, "principles", j),
                    "unknown-principle-link",
                    f"case {cid} is linked to unknown principle {pid}",
                    case_id=cid,
                    principle_id=pid,
                )
    for pid, principle in ws.principles.items():
        if " ".join(principle.statement.split()) == PLACEHOLDER_STATEMENT:
            ws.report(
                Severity.WARNING,
                ws.principle_paths[pid],
                ("statement",),
                "placeholder-statement",
                f"{pid}'s statement is still the placeholder `cstudio new` wrote; write the rule the critic "
                "should judge responses against",
                principle_id=pid,
            )
    for pid in ws.principles:
        if ws.principles[pid].status is not Status.DEPRECATED and not ws.links.get(pid):
            ws.report(
                Severity.WARNING,
                ws.principle_paths[pid],
                ("id",),
                "unlinked-principle",
                f"{pid} has no linked eval case; its wording is untested",
                principle_id=pid,
            )
