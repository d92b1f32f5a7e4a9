from __future__ import annotations

import pytest

from zhner.cli import COMMANDS, main


def test_zhner_lists_commands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize(("argv", "code"), [([], 2), (["frobnicate"], 2)])
def test_zhner_bad_invocation(argv: list[str], code: int, capsys) -> None:
    assert main(argv) == code
    if argv:
        assert (
            "unknown command 'frobnicate'; choose one of: annotate, train, evaluate, predict" in capsys.readouterr().err
        )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_zhner_each_stage_has_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"zhner {command}" in capsys.readouterr().out


def test_zhner_version(capsys) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"zhner {version('zh-industry-ner')}\n"
