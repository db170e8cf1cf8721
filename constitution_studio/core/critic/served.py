"""A judge served by an engine (vLLM, SGLang, llama.cpp) behind an OpenAI-compatible endpoint.

The client renders and tokenises every prompt itself (the judge family's format, the pinned
tokenizer), asks for ONE generated token at temperature 0 with its top log-probs, and reads
the two answer options from them: the same prefill-only question the in-process runner asks,
answered by the team's own engine. `ServedRunner.log_odds` has the in-process runner's shape,
so the engine (engine.py) caches, chunks and labels the answers exactly as it does locally.

Scheduling is for the engine's prefix cache: prompts that share a prefix go back to back and,
with several replicas, to the same one (a hash ring over the prefix), so vLLM's automatic
prefix caching, SGLang's radix cache and llama.cpp's slot cache do the work. Each replica has
`concurrency` requests in flight; 429/5xx/timeouts are retried with backoff; a replica that
refuses connections is dropped and its work goes to the others.

The API key is read from the environment variable named by `api_key_env` at request time and
never enters a message, a report or the cache key.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import http.client
import ipaddress
import json
import math
import os
import queue
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from constitution_studio.core.critic.units import Unit
from constitution_studio.core.models import ServerSettings
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural
from constitution_studio.errors import JudgeServerError

TOP_LOGPROBS = 20  # what OpenAI-compatible engines accept for completions (vLLM's default max_logprobs)
FINGERPRINT_DECIMALS = 1  # log-odds rounded to 0.1: stable across runs and batch sizes, moved by other weights
YIELD_EVERY = 16  # answers handed back (and committed by the engine) at least this often
_RING_POINTS = 64  # virtual nodes per replica on the hash ring
_BODY_EXCERPT = 160


@dataclass(frozen=True)
class Endpoint:
    """One replica: where to connect, and how to name it in messages (never with credentials)."""

    scheme: str
    host: str
    port: int
    base_path: str  # e.g. "" or "/judge" (before /v1)
    display: str

    def conn(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_endpoint(url: str, *, allow_insecure: bool = False) -> Endpoint:
    """A replica URL checked: http(s) only, no credentials in it, plain http only to this machine
    unless `allow_insecure` (the API key would travel in clear)."""
    shown = sanitize(url)[:200]
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JudgeServerError(f"critic.server url '{shown}' is not an http(s) URL (e.g. http://127.0.0.1:8000)")
    if parts.username or parts.password:
        raise JudgeServerError(
            "critic.server url must not carry credentials; put the key in an environment variable and name it "
            "in critic.server.api_key_env"
        )
    if parts.query or parts.fragment:
        raise JudgeServerError(f"critic.server url '{shown}' must not have a query or fragment")
    host = parts.hostname
    if parts.scheme == "http" and not _loopback(host) and not allow_insecure:
        raise JudgeServerError(
            f"critic.server url '{shown}' is plain http to another machine; use https, or set "
            "critic.server.allow_insecure: true if the network is trusted"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise JudgeServerError(f"critic.server url '{shown}' has a bad port") from None
    base = parts.path.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    display = f"{parts.scheme}://{parts.netloc}{base}"
    return Endpoint(parts.scheme, host, port, base, sanitize(display))


def replicas_text(endpoints: Sequence[Endpoint]) -> str:
    """How messages and reports name a judge's replicas: the first URL, and how many more."""
    first = endpoints[0].display
    return first if len(endpoints) == 1 else f"{first} (+{plural(len(endpoints) - 1, 'replica')})"


def _carry(left: int) -> str:
    """Who carries a run once a replica is down: `the other replica carries the run` / `the other 2 replicas …`."""
    if left == 0:
        return "no other replica is up"
    return "the other replica carries the run" if left == 1 else f"the other {left} replicas carry the run"


class TransientError(Exception):
    """A transient failure worth another try (429, 5xx, timeout, connection reset)."""


class ReplicaDown(Exception):
    """The replica refuses connections: send its work elsewhere."""


class Transport:
    """JSON over HTTP/1.1 keep-alive, one connection per (thread, replica). stdlib only."""

    def __init__(self, timeout_s: float, api_key_env: str | None) -> None:
        self.timeout_s = timeout_s
        self.api_key_env = api_key_env
        self._local = threading.local()

    def _key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise JudgeServerError(
                f"critic.server.api_key_env names {self.api_key_env}, which is not set in the environment"
            )
        return value

    def _connection(self, ep: Endpoint) -> http.client.HTTPConnection:
        conns: dict[Endpoint, http.client.HTTPConnection] = getattr(self._local, "conns", None) or {}
        self._local.conns = conns
        conn = conns.get(ep)
        if conn is None:
            conn = conns[ep] = ep.conn(self.timeout_s)
        return conn

    def _drop(self, ep: Endpoint) -> None:
        conns: dict[Endpoint, http.client.HTTPConnection] = getattr(self._local, "conns", None) or {}
        conn = conns.pop(ep, None)
        if conn is not None:
            conn.close()

    def request(self, ep: Endpoint, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Accept": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a keep-alive connection the server closed is retried once, fresh
            conn = self._connection(ep)
            try:
                conn.request(method, ep.base_path + path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except ConnectionRefusedError:
                self._drop(ep)
                raise ReplicaDown(f"{ep.display} refused the connection") from None
            except TimeoutError:
                self._drop(ep)
                raise TransientError(f"{ep.display} did not answer within {self.timeout_s:g} s") from None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self._drop(ep)
                if attempt == 2:
                    raise TransientError(f"{ep.display} closed the connection ({type(exc).__name__})") from None
            except OSError as exc:
                self._drop(ep)
                raise ReplicaDown(f"{ep.display} cannot be reached ({exc.strerror or type(exc).__name__})") from None
        status = resp.status
        text = raw.decode("utf-8", errors="replace")
        if status == 429 or status >= 500:
            raise TransientError(f"{ep.display} answered HTTP {status}{_excerpt(text, key)}")
        if status in (401, 403):
            raise JudgeServerError(
                f"{ep.display} refused the API key (HTTP {status}); check the variable critic.server.api_key_env names"
            )
        if status >= 400:
            raise JudgeServerError(f"{ep.display}{path} answered HTTP {status}{_excerpt(text, key)}")
        try:
            return json.loads(text)
        except ValueError:
            raise JudgeServerError(f"{ep.display}{path} did not answer JSON{_excerpt(text, key)}") from None


def with_retries(call: Callable[[], Any], retries: int) -> Any:
    """`call()`, tried again up to `retries` times with jittered exponential backoff while it
    raises TransientError (the last one propagates); the judge and the chat generator share it."""
    delay = 0.25
    for attempt in range(retries + 1):
        try:
            return call()
        except TransientError:
            if attempt == retries:
                raise
            time.sleep(delay + random.uniform(0, delay / 2))
            delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")


def _excerpt(text: str, key: str | None) -> str:
    """A short, printable piece of a server's error body (the key scrubbed, should it echo it)."""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            err = doc.get("error", doc.get("detail", doc.get("message", doc)))
            if isinstance(err, dict):
                err = err.get("message", err)
            text = err if isinstance(err, str) else json.dumps(err)
    except ValueError:
        pass
    if key:
        text = text.replace(key, "***")
    text = " ".join(sanitize(text).split())
    if not text:
        return ""
    return f": {text[:_BODY_EXCERPT]}{'…' if len(text) > _BODY_EXCERPT else ''}"


def _first_top_logprobs(doc: Any) -> dict[Any, Any] | None:
    """The first generated token's top log-probs, keyed by token text, `token_id:N` or id.

    Two shapes exist: the completions API's `top_logprobs: [{text: logprob}]` (vLLM, SGLang,
    llama-cpp-python) and the newer `content: [{top_logprobs: [{id, token, logprob}]}]`
    (llama.cpp's llama-server), whose ids are exact."""
    try:
        logprobs = doc["choices"][0]["logprobs"]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(logprobs, dict):
        return None
    legacy = logprobs.get("top_logprobs")
    if isinstance(legacy, list) and legacy and isinstance(legacy[0], dict):
        return legacy[0]
    content = logprobs.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        out: dict[Any, Any] = {}
        for entry in content[0].get("top_logprobs") or []:
            if isinstance(entry, dict) and isinstance(entry.get("logprob"), (int, float)):
                key = entry.get("id") if isinstance(entry.get("id"), int) else entry.get("token")
                if key is not None:
                    out[f"token_id:{key}" if isinstance(key, int) else str(key)] = entry["logprob"]
        return out or None
    return None


@dataclass
class ServerInfo:
    """What the probe learned about the engine."""

    engine: str
    model: str
    max_context: int | None = None
    version: str | None = None
    replicas: list[str] = field(default_factory=list)


_OWNERS = {"vllm": "vllm", "sglang": "sglang", "llamacpp": "llama.cpp", "me": "llama-cpp-python"}


def _hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class Ring:
    """Consistent hashing of prompt prefixes onto live replicas."""

    def __init__(self, replicas: Sequence[Endpoint]) -> None:
        self.replicas = list(replicas)
        self.live = set(range(len(replicas)))
        points = [(_hash(f"{r.display}#{i}".encode()), n) for n, r in enumerate(replicas) for i in range(_RING_POINTS)]
        points.sort()
        self._keys = [p for p, _ in points]
        self._owners = [n for _, n in points]

    def owner(self, prefix: tuple[int, ...]) -> int | None:
        if not self.live:
            return None
        at = bisect.bisect(self._keys, _hash(json.dumps(prefix[:512]).encode()))
        for step in range(len(self._keys)):
            n = self._owners[(at + step) % len(self._keys)]
            if n in self.live:
                return n
        return None


class UnitRefused(JudgeServerError):
    """One prompt the server cannot score in a way we can trust; `index` says which unit."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


@dataclass
class _Work:
    index: int
    unit: Unit
    tries: int = 0


class ServedRunner:
    """`log_odds` over HTTP; the in-process `Runner`'s interface (calls, tokens, log_odds)."""

    def __init__(
        self,
        settings: ServerSettings,
        served_model: str,
        tokenizer: Any,
        *,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.endpoints = [parse_endpoint(u, allow_insecure=settings.allow_insecure) for u in settings.urls()]
        if not self.endpoints:
            raise JudgeServerError("critic.server.url lists no replica")
        self.served_model = served_model
        self.tokenizer = tokenizer
        self.transport = Transport(settings.timeout_s, settings.api_key_env)
        self.ring = Ring(self.endpoints)
        self.notify = notify
        self.calls = 0  # answers received
        self.tokens = 0  # prompt tokens sent
        self.info = ServerInfo(engine=settings.engine, model=served_model)
        self._texts: dict[int, str] = {}
        self._lock = threading.Lock()
        self._check_mass = True
        self.masses: list[float] = []  # label mass of every answer read (docs/critic.md reports its spread)

    # -- identity -------------------------------------------------------------------------

    @property
    def device(self) -> str:
        return f"server:{self.info.engine}"

    @property
    def dtype(self) -> str:
        return "served"

    @property
    def display(self) -> str:
        return replicas_text(self.endpoints)

    def probe(self) -> ServerInfo:
        """Ask each replica what it serves; the first one that answers decides the engine.

        A replica down now is left out (the others carry the run); none up is one line."""
        errors: list[str] = []
        found: ServerInfo | None = None
        for n, ep in enumerate(self.endpoints):
            try:
                doc = self._with_retries(functools.partial(self.transport.request, ep, "GET", "/v1/models"))
            except ReplicaDown as exc:
                self.ring.live.discard(n)
                errors.append(str(exc))
                continue
            models = [m for m in (doc.get("data") or []) if isinstance(m, dict)] if isinstance(doc, dict) else []
            ids = [str(m.get("id", "")) for m in models]
            entry = next((m for m in models if m.get("id") == self.served_model), None)
            if entry is None and self.settings.model is None and len(models) == 1 and found is None:
                # no served name was configured and the server serves exactly one model: that one
                entry = models[0]
                if self.notify is not None:
                    self.notify(
                        f"{ep.display} serves one model, '{sanitize(str(entry.get('id')))}', not one named "
                        f"'{sanitize(self.served_model)}': judging with it (set critic.server.model to pin it)"
                    )
                self.served_model = str(entry.get("id"))
            if entry is None:
                listed = ", ".join(sanitize(i) for i in ids[:5]) or "none"
                raise JudgeServerError(
                    f"{ep.display} does not serve a model named '{sanitize(self.served_model)}' (it serves: {listed}); "
                    "set critic.server.model to the served name"
                )
            if found is None:
                engine: str = self.settings.engine
                if engine == "auto":
                    engine = _OWNERS.get(str(entry.get("owned_by", "")), "openai-compatible")
                limit = entry.get("max_model_len") or entry.get("context_length")
                found = ServerInfo(
                    engine=engine, model=self.served_model, max_context=int(limit) if isinstance(limit, int) else None
                )
                found.version = self._version(ep, engine)
            found.replicas.append(ep.display)
        if found is None:
            raise JudgeServerError(f"no judge server answered: {'; '.join(errors)}")
        self.info = found
        return found

    def _version(self, ep: Endpoint, engine: str) -> str | None:
        path = {"vllm": "/version", "sglang": "/get_server_info", "llama.cpp": "/props"}.get(engine)
        if path is None:
            return None
        try:
            doc = self.transport.request(ep, "GET", path)
        except (JudgeServerError, TransientError, ReplicaDown):
            return None
        if isinstance(doc, dict):
            value = doc.get("version") or doc.get("build_info")
            return sanitize(str(value))[:40] if value else None
        return None

    def fingerprint(self, canaries: Sequence[Unit]) -> str:
        """A short hash of the served model's rounded log-odds on fixed canary prompts: the same
        weights give the same value across runs and restarts; other weights give another."""
        odds: dict[int, float] = {}
        self._check_mass = False  # identity only: another model may well not answer the canaries' question
        try:
            for indices, values in self.log_odds(canaries):
                odds.update(zip(indices, values, strict=True))
        finally:
            self._check_mass = True
        rounded = [round(odds[i], FINGERPRINT_DECIMALS) + 0.0 for i in range(len(canaries))]
        text = json.dumps({"model": self.served_model, "log_odds": rounded})
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    # -- scoring --------------------------------------------------------------------------

    def _body(self, unit: Unit) -> tuple[dict[str, Any], int]:
        ids = [*unit.prefix, *unit.suffix]
        body: dict[str, Any] = {
            "model": self.served_model,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": TOP_LOGPROBS,
        }
        if self.info.engine == "llama-cpp-python":
            # its completions endpoint takes text only: send the exact text and check its count
            body["prompt"] = self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        else:
            body["prompt"] = ids
            if self.info.engine == "vllm":
                body["return_tokens_as_token_ids"] = True
        return body, len(ids)

    def _option_text(self, token_id: int) -> str:
        text = self._texts.get(token_id)
        if text is None:
            text = self._texts[token_id] = self.tokenizer.decode(
                [token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False
            )
        return text

    def _read(self, doc: Any, unit: Unit, index: int, sent: int) -> float:
        """Log-odds of the first option vs the second from the first token's top log-probs."""
        top = _first_top_logprobs(doc)
        if top is None:
            raise UnitRefused(index, "the server's answer has no top log-probs for the first token")
        usage = doc.get("usage") if isinstance(doc, dict) else None
        counted = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        if isinstance(counted, int) and counted != sent:
            raise UnitRefused(
                index,
                f"the server read the prompt as {counted} tokens, the client's tokenizer as {sent}; "
                "critic.model must be the served model's tokenizer",
            )
        if not isinstance(top, dict) or not top:
            raise UnitRefused(index, "the server returned no top log-probs")
        logprobs: dict[int | str, float] = {}
        for k, v in top.items():
            if not isinstance(v, (int, float)):
                continue
            key: int | str = str(k)
            if isinstance(key, str) and key.startswith("token_id:"):
                try:
                    key = int(key.removeprefix("token_id:"))
                except ValueError:
                    continue
            logprobs[key] = float(v)
        floor = min(logprobs.values())

        def option(ids: tuple[int, ...]) -> tuple[float, float]:
            """(log P of the option, the mass actually seen); unseen: bounded by the top-k floor."""
            seen = [logprobs[i] for i in ids if i in logprobs]
            seen += [logprobs[t] for t in {self._option_text(i) for i in ids} if t in logprobs]
            if not seen:
                return floor, 0.0
            top_lp = max(seen)
            lse = top_lp + math.log(sum(math.exp(x - top_lp) for x in seen))
            return lse, math.exp(lse)

        a, mass_a = option(unit.first)
        b, mass_b = option(unit.second)
        mass = mass_a + mass_b
        if len(self.masses) < 100_000:
            self.masses.append(mass)
        if self._check_mass and mass < self.settings.min_label_mass:
            raise UnitRefused(
                index,
                f"the judge put {mass:.1%} of its first-token probability on the two answer options (below "
                f"critic.server.min_label_mass {self.settings.min_label_mass:g}); it is not answering the question",
            )
        return a - b

    def _with_retries(self, call: Callable[[], Any]) -> Any:
        return with_retries(call, self.settings.retries)

    def _ask(self, ep: Endpoint, work: _Work) -> float:
        body, sent = self._body(work.unit)
        doc = self._with_retries(lambda: self.transport.request(ep, "POST", "/v1/completions", body))
        value = self._read(doc, work.unit, work.index, sent)
        with self._lock:
            self.calls += 1
            self.tokens += sent
        return value

    def log_odds(
        self,
        units: Sequence[Unit],
        *,
        cancelled: Callable[[], bool] = lambda: False,
        run_size: int | None = None,
    ) -> Iterator[tuple[list[int], list[float]]]:
        """Yield (unit indices, log-odds) as answers arrive, at least every YIELD_EVERY answers.

        Cancel stops at once (answers still in flight are dropped); a failure that no retry
        or replica can absorb raises after everything finished before it was yielded."""
        del run_size
        limit = self.info.max_context
        for i, unit in enumerate(units):
            if limit is not None and len(unit.prefix) + len(unit.suffix) + 1 > limit:
                raise UnitRefused(
                    i,
                    f"a prompt of {len(unit.prefix) + len(unit.suffix)} tokens does not fit the judge's context "
                    f"of {limit}",
                )
        queues: list[queue.Queue[_Work | None]] = [queue.Queue() for _ in self.endpoints]
        order = sorted(range(len(units)), key=lambda i: (units[i].prefix, i))  # shared prefixes back to back
        for i in order:
            owner = self.ring.owner(units[i].prefix)
            if owner is None:
                raise JudgeServerError(f"no judge server is up ({self.display})")
            queues[owner].put(_Work(i, units[i]))
        results: queue.Queue[tuple[int, float] | BaseException] = queue.Queue()
        stop = threading.Event()
        pending = len(units)
        workers_per = 1 if self.info.engine == "llama-cpp-python" else self.settings.concurrency
        threads: list[threading.Thread] = []

        def reroute(work: _Work) -> None:
            owner = self.ring.owner(work.unit.prefix)
            if owner is None:
                results.put(JudgeServerError(f"no judge server is up any more ({self.display})"))
                return
            queues[owner].put(work)
            if not any(t.is_alive() and getattr(t, "replica", -1) == owner for t in threads):
                start(owner)

        def worker(n: int) -> None:
            ep = self.endpoints[n]
            while not stop.is_set():
                try:
                    work = queues[n].get(timeout=0.05)
                except queue.Empty:
                    if n not in self.ring.live:
                        return
                    continue
                if work is None:
                    return
                try:
                    value = self._ask(ep, work)
                except ReplicaDown as exc:
                    with self._lock:
                        was_live = n in self.ring.live
                        self.ring.live.discard(n)
                        left = len(self.ring.live)
                    if was_live and self.notify is not None:
                        self.notify(f"{exc}; {_carry(left)}")
                    reroute(work)
                    while True:  # hand the rest of this replica's queue on
                        try:
                            rest = queues[n].get_nowait()
                        except queue.Empty:
                            return
                        if rest is not None:
                            reroute(rest)
                except TransientError as exc:
                    results.put(JudgeServerError(f"{exc} (after {self.settings.retries} retries)"))
                    return
                except BaseException as exc:
                    results.put(exc)
                    return
                else:
                    results.put((work.index, value))

        def start(n: int) -> None:
            for _ in range(workers_per):
                t = threading.Thread(target=worker, args=(n,), daemon=True, name=f"judge-{n}")
                t.replica = n  # type: ignore[attr-defined]
                threads.append(t)
                t.start()

        for n in range(len(self.endpoints)):
            if n in self.ring.live and not queues[n].empty():
                start(n)
        got_i: list[int] = []
        got_v: list[float] = []
        last = time.monotonic()
        try:
            while pending:
                if cancelled():
                    break
                try:
                    item = results.get(timeout=0.1)
                except queue.Empty:
                    item = None
                if isinstance(item, BaseException):
                    if got_i:
                        yield got_i, got_v
                    raise item
                if item is not None:
                    got_i.append(item[0])
                    got_v.append(item[1])
                    pending -= 1
                now = time.monotonic()
                if got_i and (len(got_i) >= YIELD_EVERY or not pending or now - last > 0.5):
                    yield got_i, got_v
                    got_i, got_v, last = [], [], now
            if got_i:
                yield got_i, got_v
        finally:
            stop.set()
            for q in queues:
                q.put(None)
