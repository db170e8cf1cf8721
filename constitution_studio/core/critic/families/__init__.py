"""Judge families: the prompt format each kind of judge model was trained on.

`select(templates_setting, model_folder, model_id)` picks one without loading the model:
an explicit `critic.templates` wins; otherwise the model's chat template, its id or folder
name and its config decide (see `detect`). Detection reads only small JSON files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constitution_studio.core.critic import templates
from constitution_studio.core.critic.families.base import Demo, Family, Part, Rendered
from constitution_studio.core.critic.families.generic import ChatPrompt, Generic
from constitution_studio.core.critic.families.granite_guardian import GraniteGuardian
from constitution_studio.core.critic.families.llama_guard import LlamaGuard
from constitution_studio.core.critic.families.shieldgemma import ShieldGemma
from constitution_studio.errors import BadInputError

__all__ = ["ChatPrompt", "Demo", "Detection", "Family", "Part", "Rendered", "detect", "get_family", "select"]

GUARDS: dict[str, type[Family]] = {
    "shieldgemma": ShieldGemma,
    "granite-guardian": GraniteGuardian,
    "llama-guard": LlamaGuard,
}
AUTO = ("auto", "default")

# (marker in the chat template, family); checked before names since a fine-tune keeps its template
_TEMPLATE_MARKERS = (
    ("guardian_config", "granite-guardian"),
    ("policy expert", "shieldgemma"),
    ("UNSAFE CONTENT CATEGORIES", "llama-guard"),
)
# (substring of the lower-cased id / folder name / config _name_or_path, family)
_NAME_MARKERS = (
    ("shieldgemma", "shieldgemma"),
    ("shield-gemma", "shieldgemma"),
    ("granite-guardian", "granite-guardian"),
    ("granite_guardian", "granite-guardian"),
    ("llama-guard", "llama-guard"),
    ("llamaguard", "llama-guard"),
    ("llama_guard", "llama-guard"),
)
# model_type values each guard family is built on (a name match on another type is suspicious)
_MODEL_TYPES = {
    "shieldgemma": ("gemma", "gemma2"),
    "granite-guardian": ("granite",),
    "llama-guard": ("llama", "mllama"),
}


@dataclass(frozen=True)
class Detection:
    family: str
    reason: str  # shown in reports: why this family was used


def get_family(name: str) -> Family:
    """A family by name, or a generic family over a template set id (`cs-judge-1`)."""
    key = name.strip().lower().replace("_", "-")
    if key in GUARDS:
        return GUARDS[key]()
    if key == "generic":
        return Generic()
    if name in templates.TEMPLATE_SETS or name in templates.ALIASES:
        return Generic(templates.get_template_set(name))
    raise BadInputError(
        f"unknown judge template family '{name}' (have: auto, generic, {', '.join(GUARDS)}, "
        f"{', '.join(templates.TEMPLATE_SETS)})"
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def chat_template_text(folder: Path) -> str:
    """The chat template shipped with a model folder (tokenizer_config.json or a .jinja file)."""
    parts: list[str] = []
    template = _read_json(folder / "tokenizer_config.json").get("chat_template")
    if isinstance(template, str):
        parts.append(template)
    elif isinstance(template, list):  # named templates
        parts += [str(t.get("template", "")) for t in template if isinstance(t, dict)]
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        parts.append(jinja.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def detect(*, model_id: str | None = None, folder: Path | None = None, chat_template: str | None = None) -> Detection:
    """The family a model belongs to, from its chat template, id/name and config (no weights read)."""
    config = _read_json(folder / "config.json") if folder is not None else {}
    if chat_template is None and folder is not None:
        chat_template = chat_template_text(folder)
    for marker, family in _TEMPLATE_MARKERS:
        if chat_template and marker in chat_template:
            return Detection(family, f"its chat template mentions {marker!r}")
    names = [n for n in (model_id, folder.name if folder is not None else None, config.get("_name_or_path")) if n]
    model_type = str(config.get("model_type") or "")
    for name in names:
        lowered = str(name).lower()
        for marker, family in _NAME_MARKERS:
            if marker in lowered:
                if model_type and model_type not in _MODEL_TYPES[family]:
                    continue  # e.g. a Qwen fine-tune named "...-llama-guard-distill": not the format
                return Detection(family, f"its name {name!r} (model_type {model_type or 'unknown'})")
    return Detection("generic", "no guard-model marker in its chat template, name or config")


def select(setting: str, *, model_id: str | None = None, folder: Path | None = None) -> tuple[Family, Detection]:
    """The family for `critic.templates` (`auto`/`default` detect it) and why."""
    if setting.strip().lower() not in AUTO:
        family = get_family(setting)
        return family, Detection(family.name, f"critic.templates is {setting!r}")
    found = detect(model_id=model_id, folder=folder)
    return get_family(found.family), found
