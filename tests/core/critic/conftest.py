"""In-process tokenizers shaped like each guard family's (their special tokens, single-token
answers and, for Granite Guardian, a chat template that takes `guardian_config` like the hub
one). Nothing is downloaded; the chat template is written in the spirit of the model card's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

GRANITE_TEMPLATE = (
    "{% set risk = guardian_config['risk_definition'] %}"
    "{% set role = 'assistant' if messages[-1]['role'] == 'assistant' else 'user' %}"
    "<|start_of_role|>user<|end_of_role|>You are a safety agent trying to help determine whether the last "
    "{{ role }} message in the conversation is harmful according to the safety risk definition below.\n\n"
    "<start_of_conversation>\n"
    "{% for m in messages %}{{ 'Assistant' if m['role'] == 'assistant' else 'User' }} Message: "
    "{{ m['content'] }}\n{% endfor %}<end_of_conversation>\n\n"
    "Our safety risk definition is defined below:\n<start_of_risk_definition>\n- {{ risk }}\n"
    "<end_of_risk_definition>\n\nIs the last {{ role }} message harmful based on the risk definition? "
    "Your answer must be either 'Yes' or 'No'.<|end_of_text|>\n"
    "{% if add_generation_prompt %}<|start_of_role|>assistant<|end_of_role|>{% endif %}"
)

FAMILY_SPECIALS = {
    "shieldgemma": (["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"], ["Yes", "No"]),
    "granite-guardian": (["<|end_of_text|>", "<|start_of_role|>", "<|end_of_role|>"], ["Yes", "No"]),
    "llama-guard": (
        ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"],
        ["safe", "unsafe"],
    ),
}
_CORPUS = [
    "You are a policy expert trying to help determine whether an AI response violates a principle.",
    "Task: Check if there is unsafe content in messages in conversations according our safety policy.",
    "You are a safety agent trying to help determine whether the last message is harmful.",
    "The assistant replies in the language the user wrote in. What time is it in Tokyo?",
]


def family_tokenizer(family: str) -> Any:
    """A byte-level BPE tokenizer with the family's special tokens and answer words."""
    from fixtures.tokenizers import byte_level_bpe
    from transformers import PreTrainedTokenizerFast

    specials, answers = FAMILY_SPECIALS[family]
    bpe = byte_level_bpe(_CORPUS, specials, vocab_size=360)
    kwargs: dict[str, Any] = {"tokenizer_object": bpe, "pad_token": specials[0]}
    if family == "shieldgemma":
        kwargs.update(bos_token="<bos>", eos_token="<eos>")
    elif family == "llama-guard":
        kwargs.update(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    else:
        kwargs.update(eos_token="<|end_of_text|>", chat_template=GRANITE_TEMPLATE)
    tokenizer = PreTrainedTokenizerFast(**kwargs)
    tokenizer.add_special_tokens({"additional_special_tokens": specials})
    tokenizer.add_tokens(answers)
    return tokenizer


@pytest.fixture(scope="session")
def family_tokenizers() -> dict[str, Any]:
    """One in-process tokenizer per guard family (built once per session)."""
    return {name: family_tokenizer(name) for name in FAMILY_SPECIALS}


@pytest.fixture(scope="session")
def guard_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight tiny Llama with a Llama Guard-shaped tokenizer, in a folder named like one
    (so detection picks the llama-guard family from its name and model_type)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = family_tokenizer("llama-guard")
    torch.manual_seed(3)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        initializer_range=0.2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    folder = tmp_path_factory.mktemp("guard") / "tiny-llama-guard-3"
    LlamaForCausalLM(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
