"""The argparse pieces that every stage's command line shares, defined once.

``zhner annotate``, ``zhner train`` and ``zhner evaluate`` (and ``python -m``
each stage) build their parsers from these: one help formatter, the flags
that several commands take (--config, --set, --corpus, -q/--quiet,
--verbose), sub-commands whose docstring is their --help page, and the one
way a user error ends a command (:func:`user_error`). The module lives in
annotate/ because that is the one package every stage may import (annotate/
itself imports nothing of the project; zhner/ imports the stages, never the
other way). It imports only argparse, inspect and sys, so a --help stays fast
and never loads torch.

Help rule: every option's help states its default. :class:`HelpFormatter`
appends ``(default: VALUE)`` from the argument's own default, so the value is
written once; an option whose default is computed (None in argparse: a path
derived from the config name, stdout, an environment variable) says it in words.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence

Command = Callable[[argparse.Namespace], object]  # runs a sub-command; each stage decides what it returns


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions keep their layout (examples, lists); an option's help ends with its default.

    ``(default: VALUE)`` is appended unless the help already says "(default",
    the option is a flag (off unless given) or required, or its default is None
    (then the help says in words what happens). A list default is shown
    space-separated, as it would be typed; an empty one as "none".
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "(default" in text or action.nargs == 0 or action.required or default in (None, argparse.SUPPRESS):
            return text
        if not action.option_strings and action.nargs not in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return text
        if isinstance(default, list | tuple):
            shown = " ".join(str(v) for v in default) or "none"
            return f"{text} (default: {shown.replace('%', '%%')})"
        return super()._get_help_string(action)


def new_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A stage's top-level parser: its module docstring as the page, the shared formatter."""
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)


def add_subcommands(
    p: argparse.ArgumentParser,
    commands: Mapping[str, tuple[Command, Callable[[argparse.ArgumentParser], None]]],
    *,
    dest: str,
    title: str,
) -> None:
    """One sub-parser per ``name: (run, add_arguments)``; ``run``'s docstring is its --help.

    The docstring's first line is the one-line description in the parent's
    --help; the whole docstring is the sub-command's own page. ``args.func``
    is the function that runs it; it is missing when no sub-command was given.
    """
    sub = p.add_subparsers(dest=dest, metavar=f"[{dest.upper()}]", title=title)
    for name, (func, add) in commands.items():
        doc = inspect.cleandoc(func.__doc__ or "")
        child = sub.add_parser(name, help=doc.splitlines()[0], description=doc, formatter_class=HelpFormatter)
        add(child)
        child.set_defaults(func=func)


def subcommands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of ``p`` by name (empty when it has none), in the order of its --help."""
    return {
        name: child
        for action in p._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, child in action.choices.items()
    }


def require_subcommand_first(p: argparse.ArgumentParser, argv: Sequence[str], name: str | None) -> None:
    """Refuse options written before a sub-command: argparse would drop them for the sub-command's defaults.

    ``zhner train --verbose pretrain`` would otherwise run pretrain without
    --verbose, silently; this stops with a usage error that says where they go.
    """
    if name is not None and argv and argv[0] != name:
        p.error(f"options before {name!r} belong to {p.prog} without a sub-command: write them after {name!r}")


def add_config(p: argparse.ArgumentParser, default: str, what: str = "YAML config") -> None:
    p.add_argument("--config", default=default, metavar="FILE", help=what)


def add_overrides(p: argparse.ArgumentParser, example: str = "training.epochs=20") -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help=f"override one config value, e.g. {example}, parsed as YAML and type-checked against the "
        "config's value; repeatable",
    )


def add_corpus(p: argparse.ArgumentParser, default: str | None = None) -> None:
    what = "corpus text folder that standoff gold (data/news/) points into"
    if default is None:
        what += " (default: $ZHNER_CORPUS; here ../shared/corpus/text)"
    p.add_argument("--corpus", metavar="DIR", default=default, help=what)


def add_quiet(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help=what)


def add_verbose(p: argparse.ArgumentParser, what: str = "show tracebacks and library logs") -> None:
    p.add_argument("--verbose", action="store_true", help=what)


def user_error(error: BaseException, verbose: bool) -> int:
    """How every command ends on a user error: ``error: MESSAGE`` on stderr and status 1; under --verbose the traceback.

    Call it from the ``except`` block that caught ``error``::

        except (ConfigError, GoldError) as e:
            return user_error(e, args.verbose)
    """
    if verbose:
        raise error
    print(f"error: {error}", file=sys.stderr)
    return 1
