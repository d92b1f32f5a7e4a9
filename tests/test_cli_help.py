"""The command line documents itself (issues #15, #17).

Every command and sub-command is found by walking the parsers from zhner's
COMMANDS table, never from a list kept here, so a new sub-command is checked
the day it is added.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest
from zhner.annotate.cliargs import subcommands

from zhner.cli import COMMANDS, main, stage_parser

Page = tuple[tuple[str, ...], argparse.ArgumentParser]  # (argv that reaches it, its parser)


def pages(command: str) -> Iterator[Page]:
    """The parser of ``command`` and of every sub-command below it, depth first."""
    todo: list[Page] = [((command,), stage_parser(command))]
    while todo:
        path, parser = todo.pop(0)
        yield path, parser
        todo.extend(((*path, name), child) for name, child in subcommands(parser).items())


def options(parser: argparse.ArgumentParser) -> Iterator[tuple[argparse.Action, str]]:
    """Each argument the user types (not -h, not the sub-command slot) with its group's title."""
    for group in parser._action_groups:
        for action in group._group_actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                yield action, group.title or ""


def run_help(argv: tuple[str, ...], capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0, argv
    return capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_cli_help_every_page_prints(command: str, capsys) -> None:
    for path, _ in pages(command):
        out = run_help(path, capsys)
        assert out.startswith(f"usage: zhner {' '.join(path)} "), path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_cli_help_every_option_has_help_with_its_default(command: str) -> None:
    missing, no_default = [], []
    for path, parser in pages(command):
        formatter = parser._get_formatter()
        for action, title in options(parser):
            name = f"zhner {' '.join(path)} {'/'.join(action.option_strings) or action.dest}"
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(name)
                continue
            text = formatter._expand_help(action)  # what --help prints, the default appended
            takes_value = action.nargs != 0
            optional = not action.required and (action.option_strings or action.nargs in ("?", "*"))
            if takes_value and optional and "default" not in text and "required" not in title:
                no_default.append(f"{name}: {text!r}")
    assert not missing, f"options without help: {missing}"
    assert not no_default, "help that does not state the default:\n" + "\n".join(no_default)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_cli_help_lists_each_sub_command_with_one_line(command: str, capsys) -> None:
    for path, parser in pages(command):
        children = subcommands(parser)
        if not children:
            continue
        out = " ".join(run_help(path, capsys).split())  # argparse wraps long lines
        for name, child in children.items():
            summary = " ".join((child.description or "").splitlines()[0].split())
            assert summary, f"zhner {' '.join(path)} {name} has no description"
            assert f"{name} {summary}" in out, (path, name)


@pytest.mark.parametrize(
    ("command", "expected"),
    [("train", ["pretrain", "vectors", "silver", "convert-e5", "prune-e5"]), ("evaluate", ["cv"])],
)
def test_cli_help_names_the_known_sub_commands(command: str, expected: list[str], capsys) -> None:
    out = run_help((command,), capsys)
    for name in expected:
        assert f"\n    {name} " in out, name


def test_cli_help_pages_start_without_torch(root) -> None:
    # every --help page of annotate, train and evaluate, in one interpreter: none may load torch
    code = (
        "import sys, contextlib, io\n"
        "from zhner.annotate.cliargs import subcommands\n"
        "from zhner.cli import main, stage_parser\n"
        "todo = [((c,), stage_parser(c)) for c in ('annotate', 'train', 'evaluate')]\n"
        "while todo:\n"
        "    path, parser = todo.pop()\n"
        "    todo += [((*path, name), child) for name, child in subcommands(parser).items()]\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main([*path, '--help'])\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
