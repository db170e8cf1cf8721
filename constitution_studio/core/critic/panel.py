"""A panel of critics (`critic.panel`): every request is scored by each member, and the panel
label comes from the members' mean log-odds (default) or their majority.

To analysis a panel looks like one critic with more judge variants: `variants` lists the
panel's own variants first (the primary judge), then every member's qualified by its name
(`m1:default`, `m2:alt`), and `members` names the members. A flip is stable only when every
variant on both sides agrees with the primary, so a flip the members dispute is not stable.
Members are scored one after another and each one's model is released before the next loads
(loading two 8B models at once rarely fits; one at a time always does).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from constitution_studio.core.critic.engine import logit, open_critic, server_settings, sigmoid
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import CriticInfo, Score, ScoreRequest
from constitution_studio.core.models import CriticSettings, PanelMember, PrincipleCalibration
from constitution_studio.errors import BadInputError

if TYPE_CHECKING:
    from constitution_studio.core.critic.anchored import DemoSet
    from constitution_studio.core.critic.consistency import Consistency

Combine = Literal["mean", "majority"]
SEP = ":"


@dataclass(frozen=True)
class PanelScore:
    """The panel's answer for one request, with each member's."""

    panel: Score
    members: dict[str, Score]

    @property
    def agreement(self) -> float:
        """Share of members whose label is the panel's."""
        labels = [s.label for s in self.members.values()]
        return sum(label == self.panel.label for label in labels) / len(labels) if labels else 1.0

    @property
    def disputed(self) -> bool:
        return len({s.label for s in self.members.values()}) > 1


class Panel:
    """Several judges as one (implements `Judge`): members are any judges (critics, served engines)."""

    def __init__(self, members: Sequence[tuple[str, Judge]], combine: Combine = "mean") -> None:
        if len(members) < 2:
            raise BadInputError("critic.panel needs at least two members")
        names = [n for n, _ in members]
        if len(set(names)) != len(names) or any(SEP in n for n in names):
            raise BadInputError(f"panel member names must be distinct and contain no '{SEP}': {names}")
        self.members: dict[str, Judge] = dict(members)
        self.combine: Combine = combine
        self.primary = members[0][1]
        self.variants: list[str] = list(self.primary.variants) + [
            f"{name}{SEP}{v}" for name, critic in members for v in critic.variants
        ]

    @property
    def names(self) -> list[str]:
        return list(self.members)

    @property
    def settings(self) -> CriticSettings:
        return self.primary.settings

    @property
    def warnings(self) -> list[str]:
        return [f"{n}: {w}" for n, c in self.members.items() for w in c.warnings]

    @property
    def anchored(self) -> bool:
        return any(c.anchored for c in self.members.values())

    def set_demonstrations(self, demos: dict[str, DemoSet]) -> None:
        for critic in self.members.values():
            if critic.anchored:
                critic.set_demonstrations(demos)

    # -- the label rule: the primary member's (its calibration labels the combined probability) --

    def label_for(self, principle_id: str, probability: float, kind: str, statement: str) -> str:
        return self.primary.label_for(principle_id, probability, kind, statement)

    def calibration_for(self, principle_id: str, statement: str) -> PrincipleCalibration | None:
        return self.primary.calibration_for(principle_id, statement)

    def hold_calibration(self, principle_id: str, wording: str, fitted_for: str) -> bool:
        held = [c.hold_calibration(principle_id, wording, fitted_for) for c in self.members.values()]
        return any(held)

    def calibrated_principles(self, statements: dict[str, str]) -> list[str]:
        return self.primary.calibrated_principles(statements)

    def consistency(self, requests: Sequence[ScoreRequest]) -> Consistency:
        """Not measured for the panel as a whole (`critic compare` measures each member's)."""
        from constitution_studio.core.critic.consistency import Consistency

        return Consistency(None, 0, None, 0)

    # -- state --------------------------------------------------------------------------

    @property
    def member_calls(self) -> dict[str, int]:
        """Model calls per member since the panel opened, across every release of its model."""
        return {n: c.model_calls for n, c in self.members.items()}

    @property
    def model_calls(self) -> int:
        """All members' model calls: 0 on a run the cache answered (docs/ci.md reads it so)."""
        return sum(self.member_calls.values())

    @property
    def loaded(self) -> bool:
        """A member's model is loaded (members load one at a time)."""
        return any(c.loaded for c in self.members.values())

    @property
    def loading_message(self) -> str:
        who = ", ".join(f"{n}={c.settings.model}" for n, c in self.members.items())
        return f"loading the critic panel's models one at a time ({who})…"

    def release(self) -> None:
        for critic in self.members.values():
            critic.release()

    @property
    def info(self) -> CriticInfo:
        """The primary member's info with the panel's method: what reports print at the top."""
        info = self.primary.info
        members = [f"{n}={c.settings.model} ({c.info.method})" for n, c in self.members.items()]
        label = " + ".join(members)
        return info.model_copy(update={"model": f"panel[{self.combine}]: {label}", "panel": members})

    # -- requests and the cache -----------------------------------------------------------

    def _route(self, req: ScoreRequest) -> tuple[str | None, ScoreRequest]:
        if SEP not in req.variant:
            return None, req
        name, _, variant = req.variant.partition(SEP)
        if name not in self.members:
            raise BadInputError(f"unknown panel member '{name}' in judge variant '{req.variant}'")
        return name, replace(req, variant=variant)

    def _split(self, requests: Sequence[ScoreRequest]) -> tuple[list[int], dict[str, list[tuple[int, ScoreRequest]]]]:
        """(indexes of the panel's own requests, {member: [(index, request as the member asks it)]})."""
        plain: list[int] = []
        routed: dict[str, list[tuple[int, ScoreRequest]]] = {}
        for i, req in enumerate(requests):
            name, own = self._route(req)
            if name is None:
                plain.append(i)
            else:
                routed.setdefault(name, []).append((i, own))
        return plain, routed

    def key_for(self, req: ScoreRequest) -> str:
        return self.keys_for([req])[0]

    def keys_for(self, requests: Sequence[ScoreRequest]) -> list[str]:
        """A member's key for a qualified variant; for the panel, a hash of every member's key."""
        out = [""] * len(requests)
        plain, routed = self._split(requests)
        asked = [requests[i] for i in plain]
        per_member = [c.keys_for(asked) for c in self.members.values()]
        for j, i in enumerate(plain):
            keys = [self.combine, *(keys[j] for keys in per_member)]
            out[i] = hashlib.sha256(json.dumps(keys).encode()).hexdigest()
        for name, items in routed.items():
            for (i, _), key in zip(items, self.members[name].keys_for([r for _, r in items]), strict=True):
                out[i] = f"{name}{SEP}{key}"
        return out

    def cached_scores(self, requests: Sequence[ScoreRequest], keys: Sequence[str] | None = None) -> list[Score | None]:
        """What every member's cache already answers (the panel's and members' scores), in request
        order; no model loaded. `keys` is not used (members key their own caches)."""
        out: list[Score | None] = [None] * len(requests)
        plain, routed = self._split(requests)
        asked = [requests[i] for i in plain]
        per_member = {n: c.cached_scores(asked) for n, c in self.members.items()}
        for j, i in enumerate(plain):
            got = {n: found[j] for n, found in per_member.items()}
            if all(s is not None for s in got.values()):
                out[i] = self.combined({n: s for n, s in got.items() if s is not None}, requests[i].statement)
        for name, items in routed.items():
            for (i, _), score in zip(items, self.members[name].cached_scores([r for _, r in items]), strict=True):
                if score is not None:
                    out[i] = replace(score, variant=requests[i].variant)
        return out

    def cached(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        return [s for s in self.cached_scores(requests) if s is not None]

    # -- scoring --------------------------------------------------------------------------

    def _member_scores(
        self, requests: Sequence[ScoreRequest], cancel: threading.Event | None
    ) -> dict[str, list[Score | None]]:
        """Each member's Score per request (None when cancelled), one member at a time."""
        out: dict[str, list[Score | None]] = {}
        for name, critic in self.members.items():
            scores: list[Score | None] = [None] * len(requests)
            for batch in _unique_batches(requests):
                asked = [requests[i] for i in batch]
                where: dict[tuple[str, str, str, str], int] = {
                    (r.principle_id, r.case.id, r.variant, r.question): i for i, r in zip(batch, asked, strict=True)
                }
                for score in critic.score(asked, cancel=cancel):
                    question = "engagement" if score.kind == "engagement" else "verdict"
                    scores[where[(score.principle_id, score.case_id, score.variant, question)]] = score
            critic.release()  # the next member's model loads next
            out[name] = scores
        return out

    def combined(self, member_scores: Mapping[str, Score], statement: str) -> Score:
        """The panel's Score from its members' (mean log-odds or majority of labels)."""
        first = next(iter(member_scores.values()))
        if self.combine == "mean":
            z = sum(logit(s.probability) for s in member_scores.values()) / len(member_scores)
            p = sigmoid(z)
        else:
            positive = {"violates", "a", "engaged"}
            votes = [s.label in positive for s in member_scores.values()]
            p = sum(votes) / len(votes)
            if math.isclose(p, 0.5):  # a tie goes to the primary member
                p = first.probability
        label = self.primary.label_for(first.principle_id, p, first.kind, statement)
        return replace(first, probability=p, label=label, cached=all(s.cached for s in member_scores.values()))

    def score_panel(
        self, requests: Sequence[ScoreRequest], *, cancel: threading.Event | None = None
    ) -> list[PanelScore | None]:
        """One PanelScore per request, in request order (None where a member was cancelled)."""
        per_member = self._member_scores(requests, cancel)
        out: list[PanelScore | None] = []
        for i in range(len(requests)):
            got = {name: scores[i] for name, scores in per_member.items()}
            if any(s is None for s in got.values()):
                out.append(None)
                continue
            members = {n: s for n, s in got.items() if s is not None}
            out.append(PanelScore(panel=self.combined(members, requests[i].statement), members=members))
        return out

    def score(
        self,
        requests: Sequence[ScoreRequest],
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Score]:
        """The Judge interface: a qualified variant (`m1:default`) is that member's judge, a
        plain one the panel's combined answer."""
        plain, routed = self._split(requests)
        done = 0
        for ps in self.score_panel([requests[i] for i in plain], cancel=cancel):
            if ps is not None:
                done += 1
                yield ps.panel
        for name, items in routed.items():
            critic = self.members[name]
            for score in critic.score([r for _, r in items], cancel=cancel):
                done += 1
                yield replace(score, variant=f"{name}{SEP}{score.variant}")
            critic.release()
        if progress is not None:
            progress(done, len(requests))

    def close(self) -> None:
        for critic in self.members.values():
            critic.close()


def open_panel(
    settings: CriticSettings,
    root: Path,
    members: Sequence[str | PanelMember] | None = None,
    *,
    use_cache: bool = True,
    method: str | None = None,
) -> Panel:
    """The panel of `critic.panel` (or `members`): each member a critic with the settings, its
    own model and, where given, its own method and templates; names m1, m2, ... by default."""
    entries = list(members if members is not None else settings.panel)
    if server_settings(settings) is not None:
        raise BadInputError(
            "critic.panel with a served judge (critic.server or --critic-server) is not supported: a panel's members "
            "are loaded here; serve one judge, or drop the panel"
        )
    critics: list[tuple[str, Judge]] = []
    for i, entry in enumerate(entries, 1):
        member = entry if isinstance(entry, PanelMember) else PanelMember(model=entry)
        update: dict[str, Any] = {"model": member.model, "panel": []}
        if member.templates:
            update["templates"] = member.templates
        critic = open_critic(
            settings.model_copy(update=update), root, use_cache=use_cache, method=member.method or method
        )
        critics.append((member.name or f"m{i}", critic))
    return Panel(critics, combine=settings.panel_combine)


def _unique_batches(requests: Sequence[ScoreRequest]) -> list[list[int]]:
    """Index batches in which (principle, case, variant, question) is unique, so each Score a
    member yields maps back to exactly one request (two wordings of one principle split)."""
    batches: list[list[int]] = []
    seen: list[set[tuple[str, str, str, str]]] = []
    for i, r in enumerate(requests):
        ident = (r.principle_id, r.case.id, r.variant, r.question)
        for batch, keys in zip(batches, seen, strict=True):
            if ident not in keys:
                batch.append(i)
                keys.add(ident)
                break
        else:
            batches.append([i])
            seen.append({ident})
    return batches
