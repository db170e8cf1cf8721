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

import gc
import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from constitution_studio.core.critic.engine import Critic, logit, open_critic, server_settings, sigmoid
from constitution_studio.core.critic.types import Score, ScoreRequest
from constitution_studio.core.models import CriticSettings, PanelMember
from constitution_studio.errors import BadInputError

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


def release(critic: Critic) -> None:
    """Free a member's model (and its GPU memory) so the next member can load."""
    runner = critic._runner
    critic._runner = None
    critic._prompts = None
    del runner
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - the critic extra is installed when a model ran
        pass


class Panel:
    def __init__(self, members: Sequence[tuple[str, Critic]], combine: Combine = "mean") -> None:
        if len(members) < 2:
            raise BadInputError("critic.panel needs at least two members")
        names = [n for n, _ in members]
        if len(set(names)) != len(names) or any(SEP in n for n in names):
            raise BadInputError(f"panel member names must be distinct and contain no '{SEP}': {names}")
        self.members = dict(members)
        self._released_calls = dict.fromkeys(self.members, 0)  # model calls of runners already released
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
    def template_id(self) -> str:
        return "panel:" + "+".join(c.template_id for c in self.members.values())

    @property
    def warnings(self) -> list[str]:
        return [f"{n}: {w}" for n, c in self.members.items() for w in c.warnings]

    def calibrated_principles(self, statements: dict[str, str]) -> list[str]:
        return self.primary.calibrated_principles(statements)

    def cached(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """What every member's cache already answers (the panel's and members' scores), no model loaded."""
        out: list[Score] = []
        plain = [r for r in requests if SEP not in r.variant]
        per_member = {n: c.cached(plain) for n, c in self.members.items()}
        index = {
            n: {(s.principle_id, s.case_id, s.variant, s.kind == "engagement"): s for s in found}
            for n, found in per_member.items()
        }
        for req in plain:
            ident = (req.principle_id, req.case.id, req.variant, req.question == "engagement")
            got = {n: idx[ident] for n, idx in index.items() if ident in idx}
            if len(got) == len(self.members):
                out.append(self.combined(got, req.statement))
        for req in requests:
            name, routed = self._route(req)
            if name is not None:
                out += [replace(s, variant=req.variant) for s in self.members[name].cached([routed])]
        return out

    @property
    def member_calls(self) -> dict[str, int]:
        """Model calls per member since the panel opened, across every release of its model."""
        return {n: self._released_calls[n] + c.model_calls for n, c in self.members.items()}

    @property
    def model_calls(self) -> int:
        """All members' model calls: 0 on a run the cache answered (docs/ci.md reads it so)."""
        return sum(self.member_calls.values())

    def _release(self, name: str) -> None:
        critic = self.members[name]
        self._released_calls[name] += critic.model_calls  # the runner's count goes with it
        release(critic)

    @property
    def info(self) -> Any:
        """The primary member's info with the panel's method: what reports print at the top."""
        info = self.primary.info
        members = [f"{n}={c.settings.model} ({c.info.method})" for n, c in self.members.items()]
        label = " + ".join(members)
        return info.model_copy(update={"model": f"panel[{self.combine}]: {label}", "panel": members})

    def _route(self, req: ScoreRequest) -> tuple[str | None, ScoreRequest]:
        if SEP not in req.variant:
            return None, req
        name, _, variant = req.variant.partition(SEP)
        if name not in self.members:
            raise BadInputError(f"unknown panel member '{name}' in judge variant '{req.variant}'")
        return name, replace(req, variant=variant)

    def key_for(self, req: ScoreRequest) -> str:
        """A member's key for a qualified variant; for the panel, a hash of every member's key."""
        name, routed = self._route(req)
        if name is not None:
            return f"{name}{SEP}{self.members[name].key_for(routed)}"
        keys = [c.key_for(req) for c in self.members.values()]
        return hashlib.sha256(json.dumps([self.combine, *keys]).encode()).hexdigest()

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
            if critic.model_calls:
                self._release(name)
            out[name] = scores
        return out

    def combined(self, member_scores: dict[str, Score], statement: str) -> Score:
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
        """The Critic interface: a qualified variant (`m1:default`) is that member's judge, a
        plain one the panel's combined answer."""
        plain = [r for r in requests if SEP not in r.variant]
        qualified = [r for r in requests if SEP in r.variant]
        done = 0
        for ps in self.score_panel(plain, cancel=cancel):
            if ps is not None:
                done += 1
                yield ps.panel
        by_member: dict[str, list[ScoreRequest]] = {}
        for r in qualified:
            name, routed = self._route(r)
            by_member.setdefault(str(name), []).append(routed)
        for name, reqs in by_member.items():
            critic = self.members[name]
            for score in critic.score(reqs, cancel=cancel):
                done += 1
                yield replace(score, variant=f"{name}{SEP}{score.variant}")
            if critic.model_calls:
                self._release(name)
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
    critics: list[tuple[str, Critic]] = []
    for i, entry in enumerate(entries, 1):
        member = entry if isinstance(entry, PanelMember) else PanelMember(model=entry)
        update: dict[str, Any] = {"model": member.model}
        if member.templates:
            update["templates"] = member.templates
        critic = open_critic(
            settings.model_copy(update=update), root, use_cache=use_cache, method=member.method or method
        )
        critics.append((member.name or f"m{i}", critic))
    return Panel(critics, combine=settings.panel_combine)


def open_judge(settings: CriticSettings, root: Path, **kwargs: Any) -> Critic | Panel:
    """The critic `critic:` configures: a Panel when `critic.panel` lists members, else one Critic.

    Callers that score through the analysis layer need nothing else: a panel exposes
    `variants` (its own first, then `m1:default`, ...) and `names`."""
    if settings.panel:
        return open_panel(settings, root, use_cache=kwargs.get("use_cache", True), method=kwargs.get("method"))
    return open_critic(settings, root, **kwargs)


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
