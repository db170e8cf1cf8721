"""The studio saves CRLF files: it compares and rebases on exact text, never newline-translated
(audit of issue 11, defect 3: every save of a CRLF constitution was refused as "changed on disk")."""

from __future__ import annotations

from pathlib import Path

from constitution_studio.tui.state import Studio

CONST = "principles/constitution.yaml"
HARM = "principles/HARM-01.yaml"


def _crlf(root: Path, *relpaths: str) -> None:
    for rel in relpaths:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def test_a_crlf_constitution_is_not_changed_on_disk_and_saves(mini: Path) -> None:
    _crlf(mini, CONST, HARM)
    studio = Studio(mini)
    assert studio.changed_on_disk() == []
    studio.set_field("HARM-01", "title", "Edited title")
    studio.move("HELP-01", -1)
    outcome = studio.save_all()
    assert HARM in outcome.saved and CONST in outcome.saved
    for rel in (HARM, CONST):
        data = (mini / rel).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n")  # CRLF kept, no mixed endings
    assert b"Edited title" in (mini / HARM).read_bytes()
    assert studio.changed_on_disk() == []  # the saved text is the new base
    studio.set_field("HARM-01", "title", "Second edit")
    assert HARM in studio.save_all().saved


def test_reload_keep_edits_of_a_crlf_principle_then_save(mini: Path) -> None:
    _crlf(mini, HARM)
    studio = Studio(mini)
    studio.set_field("HARM-01", "title", "Mine")
    teammate = (mini / HARM).read_bytes().replace(b"owner: safety-policy", b"owner: teammate")
    (mini / HARM).write_bytes(teammate)
    assert studio.changed_on_disk() == [HARM]
    studio.reload_file(HARM, keep_edits=True)
    assert studio.changed_on_disk() == []
    assert HARM in studio.save_all().saved
    data = (mini / HARM).read_bytes()
    assert b"Mine" in data and b"owner: teammate\r\n" in data and data.count(b"\r\n") == data.count(b"\n")
