"""Shared fixtures. The tiny critic model is built here, in-process, once per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from constitution_studio.core.models import CriticSettings


def pytest_configure(config: pytest.Config) -> None:
    """Tests never write the per-user state key (core/statedir.py) into the real home: every
    run, and every process it starts, uses a fresh state folder."""
    if not os.environ.get("CSTUDIO_TEST_STATE_HOME"):
        os.environ["CSTUDIO_TEST_STATE_HOME"] = tempfile.mkdtemp(prefix="cstudio-test-state-")
    os.environ["XDG_STATE_HOME"] = os.environ["CSTUDIO_TEST_STATE_HOME"]


TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = [
    "The assistant replies in the language the user wrote in. Does the response violate the principle?",
    "Principle: Conversation: User: Assistant: Question: Answer Yes or No. Response A Response B",
    "Which response follows the principle better? The quick brown fox jumps over the lazy dog.",
    "I can't help with that. Sure, here is how to do it: first, second, third. Thank you!",
]


def build_tiny_model(folder: Path, *, seed: int = 0) -> Path:
    """A random-weight tiny LlamaForCausalLM and a byte-level BPE tokenizer with a chat template.

    Saved with save_pretrained (safetensors) so tests load it through the same
    `from_pretrained` path as a real model. The answer words are added to the vocabulary so
    each is one token.
    """
    import torch
    from fixtures.tokenizers import byte_level_bpe
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = byte_level_bpe(_CORPUS, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], vocab_size=400)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=TINY_CHAT_TEMPLATE,
    )
    tokenizer.add_tokens(["Yes", "No", "A", "B"])
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        initializer_range=0.2,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the tiny random-weight critic model (built once per session, no download)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "tiny-llama")


@pytest.fixture(scope="session")
def tiny_model_dir_seed1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second tiny model, same shapes and tokenizer, other random weights (a panel's second member)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model-seed1") / "tiny-llama-seed1", seed=1)


@pytest.fixture
def tiny_critic_settings(tiny_model_dir: Path) -> CriticSettings:
    """CriticSettings pointing at the tiny model, float32 on CPU (CSTUDIO_TEST_DEVICE=cuda to run on a GPU)."""
    return CriticSettings(
        model=str(tiny_model_dir), device=os.environ.get("CSTUDIO_TEST_DEVICE", "cpu"), dtype="float32"
    )
