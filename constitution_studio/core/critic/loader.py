"""Find, identify and load a critic model (builtin, local folder or Hugging Face id).

Identity is computed without loading the model, so a fully cached run never imports torch.
`trust_remote_code` is never turned on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constitution_studio.core.critic import builtin
from constitution_studio.errors import ModelUnavailableError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")
_PROBE = 1 << 20  # bytes hashed at each end of a weight file


@dataclass(frozen=True)
class ModelRef:
    spec: str  # what the user configured
    identity: str  # goes into cache keys
    builtin: str | None = None
    path: Path | None = None  # local folder
    hub_id: str | None = None
    revision: str | None = None


def _file_probe(path: Path) -> str:
    """Name, size and the first and last MiB of a weight file: cheap, and changes when the weights do."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(f"{path.name}:{size}".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(_PROBE))
        if size > 2 * _PROBE:
            fh.seek(size - _PROBE)
            digest.update(fh.read(_PROBE))
    return digest.hexdigest()


def folder_identity(folder: Path) -> str:
    """Hash of config, tokenizer files and a probe of each weight file."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix in _WEIGHT_SUFFIXES:
            digest.update(_file_probe(path).encode())
        elif path.suffix in (".json", ".model", ".txt", ".jinja"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _hub_snapshot(hub_id: str, revision: str | None) -> Path | None:
    """The locally cached snapshot of a hub model, or None (never downloads)."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(hub_id, revision=revision, local_files_only=True))
    except Exception:
        return None


def resolve(spec: str, revision: str | None = None, root: Path | None = None) -> ModelRef:
    """What `critic.model` names, with its identity; raises ModelUnavailableError with a hint."""
    if spec.startswith(builtin.BUILTIN_PREFIX):
        name = builtin.builtin_name(spec)
        return ModelRef(spec=spec, identity=builtin.builtin_identity(name), builtin=name)
    candidates = [Path(spec).expanduser()]
    if root is not None and not Path(spec).is_absolute():
        candidates.append(root / spec)
    for folder in candidates:
        if folder.is_dir():
            if not (folder / "config.json").exists():
                raise ModelUnavailableError(f"'{spec}' is a folder without config.json; it is not a transformers model")
            return ModelRef(spec=spec, identity=f"path:{folder.name}#{folder_identity(folder)}", path=folder.resolve())
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelUnavailableError(
            f"model folder '{spec}' not found; set critic.model to an existing folder, a Hugging Face id, "
            "or builtin:smollm2-135m"
        )
    snapshot = _hub_snapshot(spec, revision)
    if snapshot is not None:
        return ModelRef(spec=spec, identity=f"hf:{spec}@{snapshot.name}", path=snapshot, hub_id=spec, revision=revision)
    return ModelRef(spec=spec, identity=f"hf:{spec}@{revision or 'main'}", hub_id=spec, revision=revision)


def load(ref: ModelRef, device: str, dtype: Any) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on `device`; a missing model is one clear line."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # stderr belongs to our own progress bar
    if ref.builtin is not None:
        source: str = str(builtin.ensure_converted(ref.builtin))
    else:
        source = str(ref.path) if ref.path is not None else str(ref.hub_id)
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if ref.revision and ref.path is None:
        kwargs["revision"] = ref.revision
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailableError(
            f"cannot load critic model '{ref.spec}' ({first}); download it first "
            f"(`huggingface-cli download {ref.spec}`), point critic.model at a local folder, "
            "or use builtin:smollm2-135m"
        ) from exc
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return model, tokenizer


def describe(ref: ModelRef) -> dict[str, Any]:
    return json.loads(json.dumps({"spec": ref.spec, "identity": ref.identity, "path": str(ref.path or "")}))
