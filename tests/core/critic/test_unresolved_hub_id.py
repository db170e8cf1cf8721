"""A hub id whose snapshot is not downloaded yet is keyed `@main`, a moving name: nothing is read
from or written to the score cache under it; once the model is loaded the critic keys by the
snapshot's commit sha."""

from __future__ import annotations

from pathlib import Path

import pytest

from constitution_studio.core.critic import ScoreRequest, loader
from constitution_studio.core.critic.cache import ScoreCache
from constitution_studio.core.critic.engine import Critic
from constitution_studio.core.models import CriticSettings, EvalCase

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_an_unresolved_hub_id_never_uses_the_cache_until_its_snapshot_is_known(
    tmp_path: Path, tiny_model_dir: Path, tiny_critic_settings: CriticSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = "example-org/tiny-judge"
    unresolved = loader.ModelRef(spec=spec, identity=f"hf:{spec}@main", hub_id=spec)
    downloaded = loader.ModelRef(spec=spec, identity=f"hf:{spec}@{SHA}", hub_id=spec, path=tiny_model_dir)
    real_load = loader.load
    monkeypatch.setattr(loader, "load", lambda ref, *a, **k: real_load(downloaded, *a, **k))  # "downloads"
    monkeypatch.setattr(loader, "resolve", lambda *a, **k: downloaded)  # the snapshot is now in the hub cache
    settings = tiny_critic_settings.model_copy(update={"model": spec})
    cache = ScoreCache.for_root(tmp_path)
    case = EvalCase(id="c1", principles=["P-01"], prompt="How do I bake bread?", response="Mix flour and water.")
    request = ScoreRequest("P-01", "Be helpful.", case)
    # a stale entry under the moving name, as an older version could have written it
    critic = Critic(settings, unresolved, cache=cache, device="cpu", dtype="float32", root=tmp_path)
    stale_key = critic.key_for(request)
    cache.put_many([critic._entry(stale_key, 0.99, [request])])
    assert not critic.resolved and critic.cached([request]) == []  # the stale entry is not trusted
    (score,) = list(critic.score([request]))
    assert not score.cached and critic.resolved and critic.ref.identity.endswith(SHA)
    assert critic.model_key.startswith(f"hf:{spec}@{SHA};")
    assert critic.key_for(request) != stale_key
    again = Critic(settings, downloaded, cache=cache, device="cpu", dtype="float32", root=tmp_path)
    (hit,) = again.cached([request])  # written under the snapshot's sha
    assert hit.probability == pytest.approx(score.probability)
