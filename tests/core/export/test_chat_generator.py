"""The chat-completions generator over real HTTP: a local server in this test answers
`/v1/chat/completions` with the tiny model's greedy generation (the same in-process generator
`revise` uses by default), so the client's request, API key, retries and parsing are exercised
end to end, and a whole revise run goes through it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fixtures.shift_support import ScriptedCritic, build_repo

from constitution_studio.core.critic import loader
from constitution_studio.core.critic.generation import InProcessGenerator
from constitution_studio.core.export.gather import gather
from constitution_studio.core.export.gencache import GenerationCache
from constitution_studio.core.export.generator import ChatGenerator, GeneratorError, open_generator
from constitution_studio.core.export.revise import ReviseSettings, revise
from constitution_studio.core.workspace import load_root

KEY = "test-key-123"


class Server:
    def __init__(self, generator: InProcessGenerator) -> None:
        self.generator = generator
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0  # answer this many requests with HTTP 503 first
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                if self.headers.get("Authorization") != f"Bearer {KEY}":
                    return self._send(401, {"error": {"message": "bad key"}})
                if server.fail_next:
                    server.fail_next -= 1
                    return self._send(503, {"error": {"message": "busy"}})
                text = server.generator.generate(
                    body["messages"],
                    temperature=body["temperature"],
                    seed=body["seed"],
                    max_new_tokens=body["max_tokens"],
                )
                self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})

            def _send(self, status: int, doc: dict[str, Any]) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture(scope="module")
def tiny_generator(tiny_model_dir: Path) -> InProcessGenerator:
    return InProcessGenerator(loader.resolve(str(tiny_model_dir)), device="cpu", dtype="float32")


@pytest.fixture
def server(tiny_generator: InProcessGenerator) -> Iterator[Server]:
    s = Server(tiny_generator)
    thread = threading.Thread(target=s.httpd.serve_forever, daemon=True)
    thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


MESSAGES = [{"role": "user", "content": "Who wrote Hamlet?"}]


def test_chat_completion_with_the_key_from_the_environment(
    server: Server, tiny_generator: InProcessGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_KEY", KEY)
    gen = ChatGenerator(server.url, "tiny", api_key_env="GEN_KEY")
    text = gen.generate(MESSAGES, temperature=0.0, seed=7, max_new_tokens=5)
    assert text == tiny_generator.generate(MESSAGES, temperature=0.0, seed=7, max_new_tokens=5)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == f"Bearer {KEY}"
    assert sent["model"] == "tiny" and sent["temperature"] == 0.0 and sent["seed"] == 7 and sent["max_tokens"] == 5
    assert gen.identity == f"chat:{server.url}#tiny"


def test_transient_errors_are_retried_and_a_bad_key_is_one_error(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_KEY", KEY)
    server.fail_next = 2
    gen = ChatGenerator(server.url, "tiny", api_key_env="GEN_KEY", retries=3)
    assert isinstance(gen.generate(MESSAGES, temperature=0.0, seed=0, max_new_tokens=2), str)
    assert len(server.requests) == 3  # two 503s, then the answer
    monkeypatch.setenv("GEN_KEY", "wrong")
    with pytest.raises(GeneratorError, match="--generator-key-env") as err:
        gen.generate(MESSAGES, temperature=0.0, seed=0, max_new_tokens=2)
    assert "wrong" not in str(err.value)  # the key is never in a message
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


def test_revise_through_the_server(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_KEY", KEY)
    root = build_repo(tmp_path / "repo", "scripted")

    def table(pid: str, statement: str, cid: str, variant: str) -> float:
        return {"harm-1": 0.9, "harm-1.r1": 0.3}.get(cid, 0.1)

    judge = ScriptedCritic(table)
    g = gather(load_root(root), judge, root=root, score_missing=True)
    gen = ChatGenerator(server.url, "tiny", api_key_env="GEN_KEY")
    settings = ReviseSettings(rounds=2, max_new_tokens=4)
    rows = list(revise(g, judge, gen, settings, ["harm-1"], cache=GenerationCache(None)))
    assert rows[0].accepted_round == 1 and rows[0].generator.kind == "chat"
    assert len(server.requests) == 2  # one critique, one revision
    critique_turn = server.requests[0]["messages"][-1]
    assert critique_turn["role"] == "user" and "Choose the response least likely" in critique_turn["content"]
    revision_call = server.requests[1]["messages"]
    assert revision_call[-2] == {"role": "assistant", "content": rows[0].rounds[0].critique}
