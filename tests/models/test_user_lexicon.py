"""A user's dictionary: models.lexicon.read_user and match_both."""

from __future__ import annotations

from pathlib import Path

import pytest
from zhner.annotate.schema import Span
from zhner.models.lexicon import LexiconError, match_both, read_user


def write(tmp_path: Path, data: bytes | str, name: str = "names.tsv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_read_user_takes_names_and_skips_blank_and_comment_lines(tmp_path) -> None:
    path = write(
        tmp_path,
        "\ufeff# my names\n台积电\tORG\n\n  # indented comment\n温岭市\tLOC\r\n国家先进制造业集群 \t HONOR\n  \t\n",
    )
    assert read_user(path) == {"台积电": "ORG", "温岭市": "LOC", "国家先进制造业集群": "HONOR"}


def test_read_user_takes_a_repeated_name_with_the_same_label(tmp_path) -> None:
    assert read_user(write(tmp_path, "台积电\tORG\n台积电\tORG\n")) == {"台积电": "ORG"}


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        ("台积电\tORG\n温岭市 LOC\n", 2, "no tab; write name<TAB>label"),
        ("\tORG\n", 1, "empty name"),
        ("  \tORG\n", 1, "empty name"),
        ("台积电\tPER\n", 1, "unknown label 'PER'; the labels are ORG, LOC, METRIC, HONOR"),
        ("台积电\t\n", 1, "unknown label ''; the labels are ORG, LOC, METRIC, HONOR"),
        ("台积电\torg\n", 1, "unknown label 'org'"),
        ("# ok\n台积电\tORG\textra\n", 2, "2 tabs; write name<TAB>label"),
        (b"\xe5\x8f\xb0\tORG\n\xff\xfe\tLOC\n", 2, "invalid UTF-8 at byte offset 0"),
        ("台积电\tORG\n\n台积电\tLOC\n", 3, "'台积电' is LOC here but ORG on line 1"),
    ],
)
def test_read_user_bad_line_is_file_line_reason(tmp_path, data, line: int, reason: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(LexiconError) as info:
        read_user(path)
    assert str(info.value).startswith(f"{path}:{line}: {reason}")


def test_read_user_missing_file_is_one_line(tmp_path) -> None:
    with pytest.raises(LexiconError, match=r"nope\.tsv: cannot read the dictionary \(No such file or directory\)"):
        read_user(tmp_path / "nope.tsv")


def test_match_both_prefers_the_longest_name_and_the_users_label() -> None:
    text = "浙江省经信厅表示浙江温岭入选"
    known, user = match_both(text, {"浙江": "LOC", "温岭": "ORG"}, {"浙江省经信厅": "ORG", "温岭": "LOC"})
    assert known == [Span(8, 10, "LOC")]
    assert user == [Span(0, 6, "ORG"), Span(10, 12, "LOC")]
    assert match_both(text, {}, {}) == ([], [])
