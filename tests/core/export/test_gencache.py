"""The generation cache is content-addressed and, like the score cache, never trusted blindly."""

from __future__ import annotations

from pathlib import Path

from constitution_studio.core.export.gencache import GenerationCache, generation_key

MSGS = [{"role": "user", "content": "hi"}]


def test_key_names_what_a_generation_depends_on() -> None:
    base = generation_key("gen-a", MSGS, temperature=0.0, seed=1, max_new_tokens=8)
    assert base == generation_key("gen-a", MSGS, temperature=0.0, seed=2, max_new_tokens=8)  # greedy: no seed
    assert base != generation_key("gen-b", MSGS, temperature=0.0, seed=1, max_new_tokens=8)
    assert base != generation_key("gen-a", MSGS, temperature=0.0, seed=1, max_new_tokens=9)
    assert base != generation_key(
        "gen-a", [{"role": "user", "content": "hi!"}], temperature=0.0, seed=1, max_new_tokens=8
    )
    sampled = generation_key("gen-a", MSGS, temperature=0.7, seed=1, max_new_tokens=8)
    assert sampled != generation_key("gen-a", MSGS, temperature=0.7, seed=2, max_new_tokens=8)


def test_kept_across_runs_in_a_trusted_state_folder(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path)
    cache.put("k", "text", "gen")
    cache.close()
    again = GenerationCache(tmp_path)
    assert again.get("k") == "text" and again.note is None
    assert (tmp_path / ".cstudio" / "generations.sqlite").is_file()


def test_a_planted_state_folder_is_not_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".cstudio").symlink_to(elsewhere)  # a repository shipping its own .cstudio
    cache = GenerationCache(root)
    assert cache.note is not None and "not using the generation cache" in cache.note
    cache.put("k", "text", "gen")
    assert cache.get("k") == "text"  # in memory for this run
    assert list(elsewhere.iterdir()) == []  # nothing written through the link
    planted = tmp_path / "planted"
    (planted / ".cstudio").mkdir(parents=True)
    (planted / ".cstudio" / "generations.sqlite").write_bytes(b"not made by cstudio")
    assert GenerationCache(planted).get("k") is None  # an unmarked folder is not read
