"""The main screen is built by composition: no chain of studio base classes, no stubs a base
class calls for its subclass to fill in, and screens reach the app through tui/services.py."""

from __future__ import annotations

import ast
from pathlib import Path

from textual.screen import Screen
from textual.widget import Widget

import constitution_studio.tui.screens as screens_package
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.critic_runner import CriticRunner
from constitution_studio.tui.screens.disk_sync import DiskSync
from constitution_studio.tui.screens.main import MainScreen

SCREENS = Path(screens_package.__file__).parent


def _only_raises_not_implemented(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def test_no_screen_class_has_a_method_that_only_raises_not_implemented() -> None:
    stubs = []
    for path in sorted(SCREENS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _only_raises_not_implemented(item):
                        stubs.append(f"{path.name}: {node.name}.{item.name}")
    assert len(list(SCREENS.glob("*.py"))) > 5  # the folder was found
    assert stubs == []


def test_the_main_screen_has_no_studio_base_class_and_its_parts_are_not_screens() -> None:
    studio_classes = [c.__name__ for c in MainScreen.__mro__ if c.__module__.startswith("constitution_studio")]
    assert studio_classes == ["MainScreen"]
    assert Screen in MainScreen.__mro__
    for part in (CriticRunner, DiskSync):
        assert issubclass(part, Widget) and not issubclass(part, Screen)
        assert [c for c in part.__mro__ if c.__module__.startswith("constitution_studio")] == [part]


def test_no_screen_reaches_the_app_past_the_type_checker() -> None:
    ignored = [
        f"{path.name}:{n}"
        for path in sorted(SCREENS.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "app" in line and "type: ignore" in line
    ]
    assert ignored == []


async def test_the_parts_are_composed_invisible_and_answer_the_screens_keys(mini_root: Path) -> None:
    app = StudioApp(mini_root)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        runner, disk = main.query_one(CriticRunner), main.query_one(DiskSync)
        assert runner is main.critic_runner and disk is main.disk_sync
        assert runner.parent is main and disk.parent is main
        assert not runner.display and not disk.display and runner.size.area == disk.size.area == 0
        # f5 (a key of the screen) reaches the critic's part, which owns auto-run
        assert runner.auto_run is True
        await pilot.press("f5")
        await pilot.pause()
        assert runner.auto_run is False
        assert any(n.message == "Auto-run off" for n in app._notifications)
