"""Find, identify and load a critic model (builtin, local folder or Hugging Face id).

Identity is computed without loading the model, so a fully cached run never imports torch.
`trust_remote_code` is never turned on.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import socket
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constitution_studio.core.critic import builtin
from constitution_studio.errors import ModelUnavailableError

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model", "vocab.txt")
_HASHED_SUFFIXES = (*_WEIGHT_SUFFIXES, ".json", ".model", ".txt", ".jinja", ".tiktoken")
_MEMO_ENV = "CSTUDIO_IDENTITY_CACHE"  # path of the identity memo (tests point it into tmp)
_CHUNK = 8 << 20

hashed_bytes = 0
"""Bytes read to hash model files in this process (a warm run, answered by the memo, reads none)."""


@dataclass(frozen=True)
class ModelRef:
    spec: str  # what the user configured
    identity: str  # goes into cache keys
    builtin: str | None = None
    path: Path | None = None  # local folder
    hub_id: str | None = None
    revision: str | None = None


def _memo_path() -> Path:
    override = os.environ.get(_MEMO_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("constitution-studio")) / "model-identity.json"


def _read_memo(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_memo(path: Path, memo: dict[str, Any]) -> None:
    """Atomic replace; a memo that cannot be written only costs a re-hash next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def _file_sha256(path: Path) -> str:
    global hashed_bytes
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            hashed_bytes += len(chunk)
    return digest.hexdigest()


def folder_identity(folder: Path) -> str:
    """sha256 over the full content of every weight, config and tokenizer file in `folder`.

    Each file's hash is memoised by (path, size, mtime_ns, inode) in a small JSON under the
    user cache dir, so only a changed file is read again and a warm run reads nothing.
    """
    memo_path = _memo_path()
    memo = _read_memo(memo_path)
    changed = False
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _HASHED_SUFFIXES):
        stat = path.stat()
        key = str(path.resolve())
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        entry = memo.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
            sha = entry["sha256"]
        else:
            sha = _file_sha256(path)
            memo[key] = {"stamp": stamp, "sha256": sha}
            changed = True
        digest.update(f"{path.name}\0{sha}\n".encode())
    if changed:
        _write_memo(memo_path, memo)
    return digest.hexdigest()[:16]


def runtime_tag(device: str, dtype: str) -> str:
    """torch and transformers versions and the dtype scores are computed in (for the cache key).

    Read from package metadata, so a cached run still never imports torch. `auto` is resolved
    the way the engine does it, judging CUDA by the torch build and the NVIDIA device node.
    """
    versions = []
    for package in ("torch", "transformers"):
        try:
            versions.append(f"{package}={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package}=none")
    if dtype == "auto":
        if device == "auto":
            cpu_build = "+cpu" in versions[0]
            device = "cuda" if not cpu_build and Path("/dev/nvidiactl").exists() else "cpu"
        dtype = "bfloat16" if device.startswith("cuda") else "float32"
    return ";".join([*versions, f"dtype={dtype}"])


def missing_files(folder: Path) -> list[str]:
    """What a transformers model folder lacks: config, tokenizer, weights."""
    missing = []
    if not (folder / "config.json").exists():
        missing.append("config.json")
    if not any((folder / name).exists() for name in _TOKENIZER_FILES):
        missing.append(f"tokenizer files ({' or '.join(_TOKENIZER_FILES[:2])})")
    if not any(p.suffix in _WEIGHT_SUFFIXES for p in folder.iterdir() if p.is_file()):
        missing.append("weights (*.safetensors)")
    return missing


def pickle_only(folder: Path) -> list[str]:
    """Pickle weight files of a folder that has no safetensors weights (empty: safe to load)."""
    files = [p for p in folder.iterdir() if p.is_file()]
    if any(p.suffix == ".safetensors" for p in files):
        return []
    return sorted(p.name for p in files if p.suffix in _PICKLE_SUFFIXES)


def download_command(hub_id: str, revision: str | None = None) -> str:
    """The download command the installed huggingface_hub ships (`hf` since 0.34)."""
    try:
        version = tuple(int(x) for x in importlib.metadata.version("huggingface_hub").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        version = (0, 0)
    tool = "hf download" if version >= (0, 34) else "huggingface-cli download"
    return f"{tool} {hub_id}" + (f" --revision {revision}" if revision else "")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face endpoint answers a TCP connect within `timeout` seconds
    (offline mode counts as unreachable), so an uncached model fails fast instead of retrying."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urllib.parse.urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _hub_snapshot(hub_id: str, revision: str | None) -> Path | None:
    """The locally cached snapshot of a hub model, or None (never downloads)."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(hub_id, revision=revision, local_files_only=True))
    except Exception:
        return None


def local_model_folder(spec: str, root: Path | None = None) -> Path | None:
    """The folder `critic.model` names, if it names one: a relative path is the constitution
    root's first (where the file that names it lives), then the current folder's."""
    if spec.startswith(builtin.BUILTIN_PREFIX):
        return None
    path = Path(spec).expanduser()
    candidates = [root / path] if root is not None and not path.is_absolute() else []
    for folder in [*candidates, path]:
        if folder.is_dir():
            return folder
    return None


def resolve(spec: str, revision: str | None = None, root: Path | None = None) -> ModelRef:
    """What `critic.model` names, with its identity; raises ModelUnavailableError with a hint.

    A local folder is keyed by the full content hash of its files; a hub id by the commit sha
    of its cached snapshot (a revision that is a branch or tag resolves to that sha).
    """
    if spec.startswith(builtin.BUILTIN_PREFIX):
        name = builtin.builtin_name(spec)
        return ModelRef(spec=spec, identity=builtin.builtin_identity(name), builtin=name)
    folder = local_model_folder(spec, root)
    if folder is not None:
        missing = missing_files(folder)
        if missing:
            raise ModelUnavailableError(
                f"model folder '{spec}' is missing {', '.join(missing)}; a transformers model folder holds "
                "config.json, the tokenizer files and safetensors weights (save_pretrained writes all three)"
            )
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


def _notify_stderr(message: str) -> None:
    sys.stderr.write(f"cstudio: {message}\n")
    sys.stderr.flush()


notify = _notify_stderr


def load_tokenizer(ref: ModelRef) -> Any:
    """The tokenizer (and chat template) alone, for a judge whose weights are served elsewhere.

    A builtin model's tokenizer is read from its converted folder when there is one, else from
    the GGUF file itself (no conversion, no torch)."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        if ref.builtin is not None:
            folder = builtin.converted_dir(ref.builtin)
            if (folder / "tokenizer_config.json").exists():
                return AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
            gguf = builtin.gguf_file(ref.builtin)
            return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name, trust_remote_code=False)
        source = str(ref.path) if ref.path is not None else str(ref.hub_id)
        kwargs: dict[str, Any] = {"trust_remote_code": False}
        if ref.revision and ref.path is None:
            kwargs["revision"] = ref.revision
        return AutoTokenizer.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailableError(
            f"cannot load the tokenizer of critic model '{ref.spec}' ({first}); a served judge needs its "
            "tokenizer locally: point critic.model at a folder holding it, or download it"
        ) from exc


def load(
    ref: ModelRef,
    device: str,
    dtype: Any,
    *,
    allow_pickle: bool = False,
    notify: Callable[[str], None] = _notify_stderr,
) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on `device`; a missing model is one clear line.

    Only safetensors weights load unless `allow_pickle` (a pickle checkpoint can run code when
    it is read). An uncached hub id is downloaded only when the hub answers within seconds.
    """
    if ref.builtin is not None:
        source: str = str(builtin.ensure_converted(ref.builtin))
    elif ref.path is not None:
        source = str(ref.path)
        pickles = pickle_only(ref.path)
        if pickles and not allow_pickle:
            raise ModelUnavailableError(
                f"critic model '{ref.spec}' has only pickle weights ({', '.join(pickles)}), which can run code when "
                "loaded; convert them to safetensors (save_pretrained(..., safe_serialization=True)) or set "
                "critic.allow_pickle: true if you trust the files"
            )
    else:
        source = str(ref.hub_id)
        if not hub_reachable():
            raise ModelUnavailableError(
                f"critic model '{ref.spec}' is not in the local Hugging Face cache and the hub cannot be reached; "
                f"download it where there is network (`{download_command(ref.spec, ref.revision)}`), point "
                "critic.model at a local folder, or use builtin:smollm2-135m"
            )
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # stderr belongs to our own progress bar
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if ref.revision and ref.path is None:
        kwargs["revision"] = ref.revision
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, use_safetensors=None if allow_pickle else True, **kwargs
        )
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = f"download it first (`{download_command(ref.spec, ref.revision)}`), " if ref.path is None else ""
        raise ModelUnavailableError(
            f"cannot load critic model '{ref.spec}' ({first}); {hint}point critic.model at a local folder, "
            "or use builtin:smollm2-135m"
        ) from exc
    if not getattr(tokenizer, "chat_template", None):
        from constitution_studio.core.critic.prompts import PLAIN_FALLBACK

        notify(f"critic model '{ref.spec}' {PLAIN_FALLBACK}")
    model.to(device)  # type: ignore[arg-type]
    model.eval()
    return model, tokenizer


def describe(ref: ModelRef) -> dict[str, Any]:
    return json.loads(json.dumps({"spec": ref.spec, "identity": ref.identity, "path": str(ref.path or "")}))
