"""Discovery: built-in tools, folders of plugin files, and entry points of installed packages (the example
plugin package is really built and installed with pip)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentlm.data.synth.tool_specs import BUILTIN_TOOLS
from agentlm.plugins import ToolRegistry, discover_tools

ROOT = Path(__file__).resolve().parents[1]


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def test_builtins_match_the_training_schemas() -> None:
    registry = discover_tools(entry_points=False)
    assert set(registry.names()) == set(BUILTIN_TOOLS)
    for name, schema in BUILTIN_TOOLS.items():
        assert registry[name].schema() == schema, name  # the model sees exactly what it was trained on
    assert registry.origin("calculator") == "agentlm_tools.calculator"
    assert registry.call("calculator", {"expression": "(12.5 + 3) * 4"}).content == "62"


def test_stateful_builtins_are_fresh_per_registry() -> None:
    first, second = discover_tools(entry_points=False), discover_tools(entry_points=False)
    assert first["search_knowledge_base"] is not second["search_knowledge_base"]
    assert first["calculator"] is second["calculator"]  # stateless: the module's function tool


def test_folder_of_plugins(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, "greet.py", '''
        from agentlm.plugins import Tool, tool

        @tool
        def greet(name: str) -> str:
            """Say hello

            Args:
                name: Who to greet
            """
            return f"Hello, {name}!"

        class Shout(Tool):
            name = "shout"
            description = "Upper-case a text"

            def run(self, text: str) -> str:
                return text.upper()

        class NeedsConfig(Tool):
            name = "needs_config"
            description = "Not created: it needs an argument"

            def __init__(self, url: str) -> None:
                self.url = url

            def run(self) -> str:
                return self.url

        class _Base(Tool):
            def run(self) -> str:
                return "private base classes are skipped"

        configured = NeedsConfig("http://example")
        ''')
    write(tmp_path, "calc.py", '''
        from agentlm.plugins import tool

        @tool(name="calculator")
        def my_calculator(expression: str) -> str:
            """My own calculator"""
            return "42"
        ''')
    write(tmp_path, "broken.py", "def oops(:\n")
    write(tmp_path, "raises.py", "raise RuntimeError('no config file')\n")
    write(tmp_path, "_helpers.py", "raise RuntimeError('never imported')\n")
    (tmp_path / "notes.txt").write_text("not a plugin")
    with caplog.at_level(logging.WARNING, logger="agentlm.plugins"):
        registry = discover_tools([tmp_path], entry_points=False)
    assert {"greet", "shout", "needs_config", "calculator", "get_weather"} <= set(registry)
    assert "_base" not in registry and "never imported" not in caplog.text
    assert registry.call("greet", {"name": "Ada"}).content == "Hello, Ada!"
    assert registry.call("shout", {"text": "hi"}).content == "HI"
    assert registry.call("needs_config", {}).content == "http://example"
    assert registry.call("calculator", {"expression": "1 + 1"}).content == "42"  # the folder overrides the built-in
    assert f"'calculator' from {tmp_path / 'calc.py'} replaces the one from agentlm_tools.calculator" in caplog.text
    broken = f"could not load tool plugin {tmp_path / 'broken.py'}: SyntaxError: invalid syntax (broken.py, line 1)"
    assert broken in caplog.text
    assert f"could not load tool plugin {tmp_path / 'raises.py'}: RuntimeError: no config file" in caplog.text


def test_single_file_and_missing_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "one.py", '''
        from agentlm.plugins import tool

        @tool
        def one() -> int:
            """Return one"""
            return 1
        ''')
    registry = discover_tools([path], builtins=False, entry_points=False)
    assert registry.names() == ["one"] and registry.call("one").content == "1"
    with pytest.raises(FileNotFoundError, match="tools directory not found"):
        discover_tools([tmp_path / "missing"], builtins=False, entry_points=False)


def test_plugins_with_the_same_file_name_in_two_folders(tmp_path: Path) -> None:
    for sub, word in (("a", "alpha"), ("b", "beta")):
        (tmp_path / sub).mkdir()
        write(tmp_path / sub, "tool.py", f'''
            from agentlm.plugins import tool

            @tool
            def {word}() -> str:
                """Say {word}"""
                return "{word}"
            ''')
    registry = discover_tools([tmp_path / "a", tmp_path / "b"], builtins=False, entry_points=False)
    assert registry.names() == ["alpha", "beta"]


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin package, built and installed with pip into a folder of its own."""
    work = tmp_path_factory.mktemp("example")
    source = work / "src"
    shutil.copytree(ROOT / "examples" / "agentlm-plugin-example", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    # a second, hand-made distribution: entry points to a Tool subclass, a plain function and a missing module
    (target / "handmade_tools.py").write_text(textwrap.dedent('''
        from agentlm.plugins import Tool

        class Reverse(Tool):
            name = "reverse"
            description = "Reverse a text"

            def run(self, text: str) -> str:
                return text[::-1]

        def double(x: int) -> int:
            """Double a number

            Args:
                x: The number
            """
            return 2 * x

        def convert_units(value: float, from_unit: str, to_unit: str) -> str:
            """Replace the built-in"""
            return "from an entry point"
        '''))
    dist = target / "handmade_tools-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: handmade-tools\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[agentlm.tools]\nreverse = handmade_tools:Reverse\n"
                                           "double = handmade_tools:double\nbroken = no_such_module:thing\n"
                                           "convert_units = handmade_tools:convert_units\n")
    return target


def test_entry_points_of_installed_packages(installed_example: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.syspath_prepend(str(installed_example))
    try:
        with caplog.at_level(logging.WARNING, logger="agentlm.plugins"):
            registry = discover_tools()
        assert {"word_count", "to_roman", "from_roman", "reverse", "double", "calculator"} <= set(registry)
        assert registry.origin("word_count") == ("entry point word_count = agentlm_plugin_example.text_tools:"
                                                 "word_count (agentlm-plugin-example)")
        assert registry.origin("to_roman").startswith("entry point roman = agentlm_plugin_example.roman")
        result = registry.call("word_count", {"text": "Tools are functions. Schemas come from docstrings!"})
        assert result.ok and result.content == '{"words":7,"sentences":2,"characters":50}'
        assert registry.call("to_roman", {"number": 2024}).content == "MMXXIV"
        assert registry.call("from_roman", {"numeral": "mcmxcix"}).content == "1999"
        assert registry.call("to_roman", {"number": 4000}).error == "Roman numerals go from 1 to 3999, got 4000"
        assert registry.call("reverse", {"text": "abc"}).content == "cba"
        assert registry["double"].schema()["function"]["parameters"]["properties"] == {
            "x": {"type": "integer", "description": "The number"}}
        assert registry.call("double", '{"x": 21}').content == "42"
        assert "could not load tool entry point broken = no_such_module:thing" in caplog.text
        assert "No module named 'no_such_module'" in caplog.text
        assert "word_count" not in discover_tools(entry_points=False)
        assert "'convert_units' from entry point convert_units = handmade_tools:convert_units (handmade-tools) " \
               "replaces the one from agentlm_tools.units" in caplog.text
        assert registry.call("convert_units", {"value": 1, "from_unit": "m", "to_unit": "ft"}).content == (
            "from an entry point")
    finally:
        for name in [m for m in sys.modules if m.startswith(("agentlm_plugin_example", "handmade_tools"))]:
            del sys.modules[name]


def test_order_builtins_then_entry_points_then_folders(installed_example: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(installed_example))
    write(tmp_path, "units.py", '''
        from agentlm.plugins import tool

        @tool
        def convert_units(value: float, from_unit: str, to_unit: str) -> str:
            """Replace the entry point"""
            return "from a folder"
        ''')
    try:
        registry = discover_tools([tmp_path])
        assert registry.origin("convert_units") == str(tmp_path / "units.py")
        assert registry.call("convert_units", {"value": 1, "from_unit": "m", "to_unit": "ft"}).content == (
            "from a folder")
        assert registry.origin("double").startswith("entry point double")
    finally:
        for name in [m for m in sys.modules if m.startswith(("agentlm_plugin_example", "handmade_tools"))]:
            del sys.modules[name]


def test_registry_from_discovery_is_a_registry() -> None:
    registry = discover_tools(builtins=False, entry_points=False)
    assert isinstance(registry, ToolRegistry) and len(registry) == 0 and registry.schemas() == []
