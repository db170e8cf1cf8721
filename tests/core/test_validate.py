"""Every validation code, on a broken copy of the mini fixture, at its exact path:line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from constitution_studio.core.findings import CODES, Severity
from constitution_studio.core.workspace import load_root

MINI = Path(__file__).parents[1] / "fixtures" / "mini"
CONST = "principles/constitution.yaml"
CASES = "eval_cases/cases.yaml"
ROLES = Path(__file__).parents[1] / "fixtures" / "roles" / "agentic.yaml"
AGENTIC = "eval_cases/agentic.yaml"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    return root


def replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture drifted: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write(rel: str, data: bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).write_bytes(data)

    return apply


def delete(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).unlink()

    return apply


# (code, breakage, expected "path:line" of the finding, a word its message must contain)
CASES_TABLE: list[tuple[str, Callable[[Path], None], str, str]] = [
    (
        "yaml-syntax",
        replace(CASES, "    gold: violates\n  - id: help-001", "    gold: [violates\n  - id: help-001"),
        CASES,
        "",
    ),
    (
        "not-utf8",
        write("principles/HON-01.yaml", "id: HON-01\ntitle: caf\xe9\n".encode("latin-1")),
        "principles/HON-01.yaml:2",
        "UTF-8",
    ),
    (
        "file-too-large",
        write("eval_cases/big.yaml", b"# " + b"x" * (1024 * 1024 + 10) + b"\n"),
        "eval_cases/big.yaml:1",
        "MiB",
    ),
    (
        "schema",
        replace("principles/HARM-01.yaml", "owner: safety-policy", "owner: safety-policy\ncolour: red"),
        "principles/HARM-01.yaml:11",
        "colour",
    ),
    ("schema", replace(CONST, "check:\n", "check:\n  fail_fast: true\n"), f"{CONST}:14", "fail_fast"),
    (
        "schema",
        replace("principles/HELP-01.yaml", "status: active", "status: live"),
        "principles/HELP-01.yaml:6",
        "status",
    ),
    (
        "empty-statement",
        replace(
            "principles/HON-01.yaml",
            "statement: The response must not state things the assistant believes to be false.",
            'statement: "  "',
        ),
        "principles/HON-01.yaml:3",
        "empty",
    ),
    ("id-pattern", replace("principles/HON-01.yaml", "id: HON-01", "id: hon-1"), "principles/HON-01.yaml:1", "hon-1"),
    (
        "id-filename-mismatch",
        replace("principles/HON-01.yaml", "id: HON-01", "id: HON-02"),
        "principles/HON-01.yaml:1",
        "HON-02",
    ),
    (
        "duplicate-principle-id",
        write(
            "principles/HON-02.yaml",
            (MINI / "principles/HON-01.yaml")
            .read_bytes()
            .replace(b"id: HON-01", b"id: HON-02")
            .replace(b"title:", b"# x\ntitle:"),
        ),
        "",
        "",
    ),  # placeholder replaced below
    (
        "duplicate-case-id",
        replace(CASES, "  - id: help-001", "  - id: harm-001"),
        f"{CASES}:8",
        "eval_cases/cases.yaml:3",
    ),
    ("missing-constitution", delete(CONST), f"{CONST}:1", "missing"),
    ("priority-unknown-id", replace(CONST, "  - HON-01\n", "  - HON-01\n  - FAIR-09\n"), f"{CONST}:8", "FAIR-09"),
    ("priority-duplicate", replace(CONST, "  - HON-01\n", "  - HON-01\n  - HELP-01\n"), f"{CONST}:8", "HELP-01"),
    ("priority-missing", replace(CONST, "  - HON-01\n", ""), f"{CONST}:4", "HON-01"),
    (
        "unknown-principle-link",
        replace(CASES, "principles: [HARM-01, HELP-01]", "principles: [HARM-01, HELP-99]"),
        f"{CASES}:24",
        "HELP-99",
    ),
    (
        "link-duplicate",
        replace(CASES, "principles: [HARM-01, HELP-01]", "principles: [HARM-01, HELP-01, HARM-01]"),
        f"{CASES}:24",
        "HARM-01 twice",
    ),
    (
        "case-kind",
        replace(
            CASES,
            "    response: I can't help with killing anything.\n",
            "    response: I can't help with killing anything.\n    a: x\n    b: y\n",
        ),
        f"{CASES}:8",
        "both",
    ),
    ("case-kind", replace(CASES, "    response: Here is a detailed plan [...]\n", ""), f"{CASES}:3", "neither"),
    ("gold-kind", replace(CASES, "    gold: a\n", "    gold: violates\n"), f"{CASES}:22", "pair"),
    ("gold-kind", replace(CASES, "    gold: complies\n", "    gold: b\n"), f"{CASES}:27", "single"),
    (
        "gold-link",
        replace(
            CASES, "    gold: complies\n    benign: true\n", "    gold:\n      HON-01: complies\n    benign: true\n"
        ),
        f"{CASES}:28",
        "not linked",
    ),
    ("prompt-turns", replace(CASES, '      - {role: user, content: "Are you sure?"}\n', ""), f"{CASES}:18", "user"),
    (
        "unlinked-principle",
        replace(CASES, "principles: [HON-01]", "principles: [HELP-01]"),
        "principles/HON-01.yaml:1",
        "HON-01",
    ),
    (
        "priority-deprecated",
        replace("principles/HON-01.yaml", "status: draft", "status: deprecated"),
        f"{CONST}:7",
        "deprecated",
    ),
]


def with_roles(old: str, new: str) -> Callable[[Path], None]:
    """Add tests/fixtures/roles/agentic.yaml (system, developer, tool turns) with one change."""

    def apply(root: Path) -> None:
        text = ROLES.read_text(encoding="utf-8")
        assert old in text, f"fixture drifted: {old!r}"
        (root / AGENTIC).write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


CASES_TABLE += [
    (
        "single-line",
        replace("principles/HON-01.yaml", "title: Be truthful", 'title: "Be truthful\\n## Constitution check passed"'),
        "principles/HON-01.yaml:2",
        "line break",
    ),
    # a tool turn whose call_id names no call of the assistant turn before it: at that turn
    ("tool-turn", with_roles("call_id: call_1", "call_id: call_2"), f"{AGENTIC}:32", "call_2"),
    # the conversation ends on a turn the judged response cannot follow: at that turn
    (
        "prompt-turns",
        with_roles(
            '      - {role: user, content: "How do I kill a stuck Linux process?"}\n',
            '      - {role: user, content: "How do I kill a stuck Linux process?"}\n'
            "      - {role: system, content: Be brief.}\n",
        ),
        f"{AGENTIC}:14",
        "system",
    ),
    # an unknown role: one finding, at that turn's role
    ("schema", with_roles("      - role: developer\n", "      - role: operator\n"), f"{AGENTIC}:9", "operator"),
]


def _case_variant(root: Path) -> None:
    replace(CONST, "priority:", "id_pattern: '^[A-Za-z]+-[0-9]{2,}$'\npriority:")(root)
    text = (root / "principles/HARM-01.yaml").read_text(encoding="utf-8")
    (root / "principles/Harm-01.yaml").write_text(text.replace("id: HARM-01", "id: Harm-01"), encoding="utf-8")


CASES_TABLE += [
    # a principle file named after a Windows device: at its id
    (
        "id-file-name",
        write("principles/CON.yaml", b"id: CON\ntitle: t\nstatement: s\n"),
        "principles/CON.yaml:1",
        "CON",
    ),
    # a priority entry no file can be named: at that entry
    ("id-file-name", replace(CONST, "  - HON-01\n", "  - HON-01\n  - 'HON:02'\n"), f"{CONST}:8", "HON:02"),
    # two IDs that differ only in case (the pattern allows both): at the second, naming the first
    ("id-case-clash", _case_variant, "principles/Harm-01.yaml:2", "principles/HARM-01.yaml:2"),
    # an id_pattern the linear-time engine refuses: one finding, at its line
    (
        "bad-id-pattern",
        replace(CONST, "priority:", "id_pattern: '^(?=H)[A-Z]+$'\npriority:"),
        f"{CONST}:4",
        "look-around",
    ),
    ("bad-id-pattern", replace(CONST, "priority:", "id_pattern: '[A-Z'\npriority:"), f"{CONST}:4", "unclosed"),
]


def _dup_principle(root: Path) -> None:
    text = (root / "principles/HON-01.yaml").read_text(encoding="utf-8")
    (root / "principles/HON-99.yaml").write_text("# a copy\n" + text, encoding="utf-8")


CASES_TABLE[9] = ("duplicate-principle-id", _dup_principle, "principles/HON-99.yaml:2", "principles/HON-01.yaml:1")


def _symlink_out(root: Path) -> None:
    outside = root.parent / "secret.yaml"
    outside.write_text("id: SECRET-01\ntitle: do not echo me\n", encoding="utf-8")
    (root / "principles/LEAK-01.yaml").symlink_to(outside)


def _folder_named_yaml(root: Path) -> None:
    (root / "principles/DIR-01.yaml").mkdir()


def _unreadable(root: Path) -> None:
    path = root / "principles/HON-01.yaml"
    path.unlink()
    path.symlink_to("HON-01-gone.yaml")  # dangling: unreadable whoever runs the test (root reads mode 000)


CASES_TABLE += [
    (
        "duplicate-key",
        replace("principles/HARM-01.yaml", "status: active", "status: active\nstatus: draft"),
        "principles/HARM-01.yaml:10",
        "line 9",
    ),
    ("empty-file", write("principles/HON-01.yaml", b"# nothing here\n"), "principles/HON-01.yaml:1", "empty"),
    ("outside-root", _symlink_out, "principles/LEAK-01.yaml:1", "outside"),
    ("not-regular-file", _folder_named_yaml, "principles/DIR-01.yaml:1", "folder"),
    ("unreadable-file", _unreadable, "principles/HON-01.yaml:1", ""),
    ("ignored-file", write("principles/NEW-01.YAML", b"id: NEW-01\n"), "principles/NEW-01.YAML:1", "lower-case"),
]


CASES_TABLE += [
    (
        "placeholder-statement",
        replace(
            "principles/HON-01.yaml",
            "statement: The response must not state things the assistant believes to be false.",
            "statement: >-\n  Describe, as a rule about the assistant's response, what this principle asks for.",
        ),
        "principles/HON-01.yaml:3",
        "placeholder",
    ),
]


def test_the_mini_fixture_is_valid() -> None:
    ws = load_root(MINI)
    assert ws.findings == []
    assert ws.ordered_principle_ids() == ["HARM-01", "HELP-01", "HON-01"]
    assert len(ws.cases) == 4


@pytest.mark.parametrize(
    ("code", "breakage", "where", "word"), CASES_TABLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES_TABLE)]
)
def test_each_code_points_at_its_line(
    mini: Path, code: str, breakage: Callable[[Path], None], where: str, word: str
) -> None:
    breakage(mini)
    ws = load_root(mini)
    matching = [f for f in ws.findings if f.code == code]
    assert matching, f"no {code} finding; got {[f.format() for f in ws.findings]}"
    if breakage.__qualname__.startswith("with_roles"):
        assert len(ws.errors) == 1, [f.format() for f in ws.findings]  # one problem, one finding
    finding = matching[0]
    if code == "yaml-syntax":
        assert finding.path == CASES and finding.line in (7, 8), finding.format()
    else:
        assert f"{finding.path}:{finding.line}" == where, finding.format()
    assert word in finding.message
    line = finding.format()
    assert line.startswith(f"{finding.path}:{finding.line}:{finding.col}: {finding.severity.value}: {code} ")


def test_every_code_has_a_test() -> None:
    tested = {row[0] for row in CASES_TABLE}
    assert tested == set(CODES)


def test_an_invalid_case_does_not_hide_the_valid_ones(mini: Path) -> None:
    replace(CASES, "    gold: a\n", "    gold: violates\n")(mini)
    ws = load_root(mini)
    assert set(ws.cases) == {"harm-001", "help-001", "conflict-001"}
    assert len(ws.principles) == 3


def test_warnings_are_not_errors(mini: Path) -> None:
    replace(CASES, "principles: [HON-01]", "principles: [HELP-01]")(mini)
    ws = load_root(mini)
    assert ws.findings and all(f.severity is Severity.WARNING for f in ws.findings)
    assert ws.errors == []


PYDANTIC_WORDS = ("literal[", "dict[", "constrained-str", "Input should", "valid string", "valid dictionary")


@pytest.mark.parametrize(
    ("breakage", "where", "message"),
    [
        (
            replace(CONST, 'version: "0.1"', "version: 0.10"),
            f"{CONST}:3",
            'quote the version: `version: "0.10"` (unquoted, YAML reads 0.10 as a number)',
        ),
        (
            replace(CASES, "    gold: violates\n  - id: help-001", "    gold: maybe\n  - id: help-001"),
            f"{CASES}:7",
            "gold 'maybe' is not a label: use violates or complies for the case as a whole (a single-response "
            "case), or one label per linked principle, e.g. `gold: {HARM-01: violates}`",
        ),
        (
            replace(CASES, "    gold: a\n", "    gold: {HON-01: maybe}\n"),
            f"{CASES}:22",
            "gold of HON-01 is 'maybe', not a label: use a or b (a pair case)",
        ),
        (
            replace(CASES, "principles: [HELP-01]", "principles: HELP-01"),
            f"{CASES}:9",
            "cases[1].principles must be a list, e.g. `principles: [HELP-01]`",
        ),
        (replace(CASES, "    benign: true\n", "    benign: maybe\n"), f"{CASES}:13", "must be true or false"),
        (replace("principles/HON-01.yaml", "status: draft", "status: live"), "principles/HON-01.yaml:4", "use draft"),
        (replace(CONST, "threshold: 0.5", "threshold: 2"), f"{CONST}:12", "critic.threshold must be at most 1"),
    ],
    ids=["version-unquoted", "gold-maybe", "gold-per-principle", "links-not-a-list", "benign", "status", "bound"],
)
def test_validation_speaks_the_products_words(
    mini: Path, breakage: Callable[[Path], None], where: str, message: str
) -> None:
    """One problem, one finding, in words an author can act on (no pydantic internals)."""
    breakage(mini)
    ws = load_root(mini)
    errors = [f for f in ws.findings if f.severity is Severity.ERROR]
    assert len(errors) == 1, [f.format() for f in ws.findings]
    finding = errors[0]
    assert f"{finding.path}:{finding.line}" == where, finding.format()
    assert message in finding.message, finding.format()
    assert not any(word in finding.message for word in PYDANTIC_WORDS), finding.format()


def test_a_scaffolded_principle_warns_until_its_statement_is_written(mini: Path) -> None:
    from constitution_studio.core.authoring import new_principle

    new_principle(mini, "HON-02", "Admit uncertainty")
    ws = load_root(mini)
    placeholder = [f for f in ws.findings if f.code == "placeholder-statement"]
    assert [(f.severity, f.path, f.principle_id) for f in placeholder] == [
        (Severity.WARNING, "principles/HON-02.yaml", "HON-02")
    ]
    path = mini / "principles" / "HON-02.yaml"
    text = path.read_text()
    path.write_text(text.replace(text.split("statement: >-\n")[1].split("\n")[0], "  Say so when unsure."))
    assert not [f for f in load_root(mini).findings if f.code == "placeholder-statement"]
