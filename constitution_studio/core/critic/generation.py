"""Text generation on an in-process model (transformers `generate`), for `cstudio revise`.

The judge never generates (it reads one next-token distribution); the critique-revision loop
does, and by default on the critic's own model, loaded the way the critic loads it
(`loader.load`: safetensors only unless allowed, no remote code). torch and transformers are
imported only here and in the critic's runner, when the first text is generated.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from constitution_studio.core.critic import loader


class InProcessGenerator:
    """Chat generation with the model at `ref`: greedy at temperature 0, else seeded sampling."""

    kind = "in-process"

    def __init__(self, ref: loader.ModelRef, *, device: str = "auto", dtype: str = "auto", allow_pickle: bool = False):
        self.ref = ref
        self.model_name = ref.spec
        self._device_pref = device
        self._dtype_pref = dtype
        self._allow_pickle = allow_pickle
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def identity(self) -> str:
        """What generation cache keys name: the weights' identity and how they run."""
        return f"{self.ref.identity};{loader.runtime_tag(self._device_pref, self._dtype_pref)}"

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch

                device = self._device_pref
                if device == "auto":
                    device = "cuda" if torch.cuda.is_available() else "cpu"
                dtype = self._dtype_pref
                if dtype == "auto":
                    dtype = "bfloat16" if device.startswith("cuda") else "float32"
                self._model, self._tokenizer = loader.load(
                    self.ref, device, getattr(torch, dtype), allow_pickle=self._allow_pickle
                )
            return self._model, self._tokenizer

    def generate(
        self, messages: Sequence[Mapping[str, Any]], *, temperature: float, seed: int, max_new_tokens: int
    ) -> str:
        """The assistant's next message after `messages` (special tokens stripped)."""
        import torch

        model, tokenizer = self._load()
        chat = [dict(m) for m in messages]
        if getattr(tokenizer, "chat_template", None):
            ids = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            input_ids = ids["input_ids"]
        else:  # a model without a chat template: the turns as plain text, then "assistant:"
            text = "".join(f"{m['role']}: {m.get('content') or ''}\n" for m in chat) + "assistant:"
            input_ids = tokenizer(text, return_tensors="pt")["input_ids"]
        input_ids = input_ids.to(model.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "attention_mask": torch.ones_like(input_ids),
            "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        }
        if temperature > 0:
            torch.manual_seed(seed)
            kwargs.update(do_sample=True, temperature=temperature, top_p=1.0, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = model.generate(input_ids, **kwargs)
        self.calls += 1
        return str(tokenizer.decode(out[0, input_ids.shape[1] :], skip_special_tokens=True)).strip()

    def close(self) -> None:
        self._model = None
        self._tokenizer = None
