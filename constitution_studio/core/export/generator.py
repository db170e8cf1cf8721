"""The generator of `cstudio revise`: who writes critiques and revisions.

Two kinds, one small interface (`Generator`): the critic's own model in process
(core/critic/generation.py, transformers `generate`), or any OpenAI-compatible **chat
completions** endpoint (vLLM, SGLang, llama.cpp's server, a hosted API). The HTTP client is
the served judge's transport (core/critic/served.py: keep-alive, timeouts, the API key read
from an environment variable at request time and never written anywhere, http(s) URLs only,
plain http only to this machine); this module adds the chat request and retries.

Generations are cached content-addressed under `.cstudio/` (gencache.py); the key names the
generator's identity, the messages, the temperature, max tokens and (when sampling) the seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from constitution_studio.core.critic.served import (
    Endpoint,
    ReplicaDown,
    TransientError,
    Transport,
    parse_endpoint,
    with_retries,
)
from constitution_studio.errors import BadInputError, JudgeServerError, StudioError


class GeneratorError(StudioError):
    title = "generator"


class Generator(Protocol):
    """Writes the assistant's next message. Deterministic at temperature 0."""

    kind: str
    model_name: str

    @property
    def identity(self) -> str: ...

    def generate(
        self, messages: Sequence[Mapping[str, Any]], *, temperature: float, seed: int, max_new_tokens: int
    ) -> str: ...

    def close(self) -> None: ...


class GeneratorInfo(BaseModel):
    """Which generator wrote a critique or revision (on every revision row)."""

    kind: str = Field(description="in-process | chat (an OpenAI-compatible chat completions endpoint).")
    model: str = Field(description="The model as configured (a chat endpoint's `model` name).")
    identity: str = Field(description="What generation cache keys name (weights' identity, or URL + model).")
    temperature: float
    seed: int
    max_new_tokens: int


def _generator_message(exc: JudgeServerError) -> str:
    """The transport's words for a judge server, said of the generator's URL instead."""
    return exc.message.replace("critic.server.api_key_env", "--generator-key-env").replace(
        "critic.server url", "generator url"
    )


class ChatGenerator:
    """An OpenAI-compatible `/v1/chat/completions` endpoint."""

    kind = "chat"

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        timeout_s: float = 120.0,
        retries: int = 3,
        allow_insecure: bool = False,
    ) -> None:
        try:
            self.endpoint: Endpoint = parse_endpoint(url, allow_insecure=allow_insecure)
        except JudgeServerError as exc:
            raise GeneratorError(_generator_message(exc)) from None
        if not model:
            raise BadInputError("a chat generator needs a model name (--generator-model)")
        self.model_name = model
        self.transport = Transport(timeout_s, api_key_env)
        self.retries = retries
        self.calls = 0

    @property
    def identity(self) -> str:
        return f"chat:{self.endpoint.display}#{self.model_name}"

    def _post(self, body: dict[str, Any]) -> Any:
        try:  # 429, 5xx, a timeout, a reset connection: tried again with backoff
            return with_retries(
                lambda: self.transport.request(self.endpoint, "POST", "/v1/chat/completions", body), self.retries
            )
        except JudgeServerError as exc:
            raise GeneratorError(_generator_message(exc)) from None
        except TransientError as exc:
            raise GeneratorError(f"{exc} (after {self.retries} retries)") from None
        except ReplicaDown as exc:
            raise GeneratorError(str(exc)) from None

    def generate(
        self, messages: Sequence[Mapping[str, Any]], *, temperature: float, seed: int, max_new_tokens: int
    ) -> str:
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": [{k: v for k, v in m.items() if v is not None} for m in messages],
            "temperature": temperature,
            "max_tokens": max_new_tokens,
            "seed": seed,
            "stream": False,
        }
        doc = self._post(body)
        try:
            content = doc["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise GeneratorError(f"{self.endpoint.display} did not answer a chat completion") from None
        self.calls += 1
        return str(content or "").strip()

    def close(self) -> None:
        return None


def open_generator(
    spec: str | None,
    *,
    critic_model: str,
    revision: str | None,
    root: Path,
    model: str | None = None,
    api_key_env: str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    allow_pickle: bool = False,
    allow_insecure: bool = False,
) -> Generator:
    """The generator `spec` names: an http(s) URL is a chat endpoint (`model` is its model
    name); anything else (default) is the in-process model `model`, or the critic's."""
    if spec and spec.startswith(("http://", "https://")):
        return ChatGenerator(spec, model or "", api_key_env=api_key_env, allow_insecure=allow_insecure)
    if spec not in (None, "", "in-process"):
        raise BadInputError(f"--generator must be 'in-process' or an http(s) URL, not {spec!r}")
    from constitution_studio.core.critic import loader
    from constitution_studio.core.critic.generation import InProcessGenerator

    ref = loader.resolve(model or critic_model, None if model else revision, root)
    return InProcessGenerator(ref, device=device, dtype=dtype, allow_pickle=allow_pickle)
