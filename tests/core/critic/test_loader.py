"""Model errors that help, and a model identity that is the full content of the files."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from constitution_studio.core.critic import loader
from constitution_studio.errors import ModelUnavailableError


@pytest.fixture(autouse=True)
def _identity_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    memo = tmp_path / "identity-memo.json"
    monkeypatch.setenv("CSTUDIO_IDENTITY_CACHE", str(memo))
    return memo


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_folder_without_weights_names_what_is_missing(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path / "no-weights")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelUnavailableError, match=r"missing weights \(\*\.safetensors\)") as info:
        loader.resolve(str(folder))
    assert "download" not in str(info.value)  # a local folder is not something to download
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelUnavailableError, match="tokenizer files"):
        loader.resolve(str(folder))


def test_pickle_only_checkpoint_is_refused_unless_allowed(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    folder = _copy(tiny_model_dir, tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # the legacy pickle checkpoint
    assert loader.pickle_only(folder) == ["pytorch_model.bin"]
    ref = loader.resolve(str(folder))
    with pytest.raises(ModelUnavailableError, match=r"critic\.allow_pickle: true"):
        loader.load(ref, "cpu", torch.float32)
    loaded, _ = loader.load(ref, "cpu", torch.float32, allow_pickle=True, notify=lambda _m: None)
    assert sum(p.numel() for p in loaded.parameters()) == sum(p.numel() for p in model.parameters())


def test_uncached_hub_id_offline_fails_fast_with_the_download_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ref = loader.resolve("someorg/not-a-cached-model-xyz")
    start = time.perf_counter()
    with pytest.raises(ModelUnavailableError, match=r"`hf download someorg/not-a-cached-model-xyz`"):
        loader.load(ref, "cpu", None)
    assert time.perf_counter() - start < 5.0


def test_model_without_chat_template_says_plain_prompt_fallback(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json

    import torch

    folder = _copy(tiny_model_dir, tmp_path / "no-template")
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config.pop("chat_template", None)
    config_path.write_text(json.dumps(config))
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    messages: list[str] = []
    loader.load(loader.resolve(str(folder)), "cpu", torch.float32, notify=messages.append)
    assert len(messages) == 1 and "plain-prompt fallback" in messages[0]
    messages.clear()
    loader.load(loader.resolve(str(tiny_model_dir)), "cpu", torch.float32, notify=messages.append)
    assert messages == []


def test_identity_is_full_content_and_warm_runs_read_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path / "ident")
    before = loader.hashed_bytes
    first = loader.folder_identity(folder)
    assert loader.hashed_bytes - before >= (folder / "model.safetensors").stat().st_size
    warm_start = loader.hashed_bytes
    assert loader.folder_identity(folder) == first
    assert loader.hashed_bytes == warm_start  # answered by the (path, size, mtime_ns, inode) memo
    # one byte in the middle of the weights (a head/tail probe would miss it)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    changed = loader.folder_identity(folder)
    assert changed != first
    assert loader.hashed_bytes - warm_start == len(data)  # only the changed file is read again


def test_runtime_tag_names_library_versions_and_dtype() -> None:
    import importlib.metadata

    tag = loader.runtime_tag("cpu", "auto")
    assert f"torch={importlib.metadata.version('torch')}" in tag
    assert f"transformers={importlib.metadata.version('transformers')}" in tag
    assert tag.endswith("dtype=float32")
    assert loader.runtime_tag("cuda", "auto").endswith("dtype=bfloat16")
    assert loader.runtime_tag("cpu", "float16") != tag


def test_download_command_matches_installed_hub_client() -> None:
    assert loader.download_command("org/m", "v1") in (
        "hf download org/m --revision v1",
        "huggingface-cli download org/m --revision v1",
    )
