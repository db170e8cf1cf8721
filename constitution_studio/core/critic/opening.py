"""`open_judge`: the one way every surface gets its judge (eval, calibrate, shift, check, trust,
review, critic compare, the studio), so what `critic:` configures is honoured everywhere.

A backend is chosen here from the settings alone: a panel when `critic.panel` lists members,
else one Critic, which scores in process or, with `critic.server` / `--critic-server` /
$CSTUDIO_CRITIC_SERVER, through a served engine (core/critic/served.py). Cheap: nothing loads
and no server is asked until the first cache miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.models import CriticSettings

if TYPE_CHECKING:
    from constitution_studio.core.critic.engine import Critic
    from constitution_studio.core.critic.panel import Panel


def open_judge(
    settings: CriticSettings,
    root: Path,
    *,
    use_cache: bool = True,
    method: str | None = None,
    model: str | None = None,
) -> Judge:
    """The judge `settings` configure, under `root` (its score cache, a relative model folder).

    `model` replaces `critic.model` (`--critic-model`, `$CSTUDIO_CRITIC_MODEL`); a panel's
    members keep their own models. `method` replaces `critic.method` (a panel member with its
    own method keeps it). Device, dtype and batch size come from the settings: a caller with
    overrides puts them there. Raises ModelUnavailableError when a model cannot be found,
    BadInputError for an unknown method or template set.
    """
    if model:
        settings = settings.model_copy(update={"model": model})
    if settings.panel:
        from constitution_studio.core.critic.panel import open_panel

        return open_panel(settings, root, use_cache=use_cache, method=method)
    from constitution_studio.core.critic.engine import open_critic

    return open_critic(settings, root, use_cache=use_cache, method=method)


if TYPE_CHECKING:  # mypy checks that every backend implements the protocol in full

    def _backends(critic: Critic, panel: Panel) -> tuple[Judge, Judge]:
        return critic, panel
