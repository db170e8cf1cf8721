"""The critic: (principle wording, eval case) -> probability and label, from one forward pass.

Importing this package never imports torch or transformers; the model loads lazily on the
first request the cache cannot answer. See docs/critic.md.
"""

from __future__ import annotations

from constitution_studio.core.critic.engine import Critic, open_critic
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.methods import METHODS, parse_method
from constitution_studio.core.critic.opening import open_judge
from constitution_studio.core.critic.templates import TEMPLATE_SETS, TemplateSet, get_template_set
from constitution_studio.core.critic.types import CriticInfo, Score, ScoreRequest

__all__ = [
    "METHODS",
    "TEMPLATE_SETS",
    "Critic",
    "CriticInfo",
    "Judge",
    "Score",
    "ScoreRequest",
    "TemplateSet",
    "get_template_set",
    "open_critic",
    "open_judge",
    "parse_method",
]
