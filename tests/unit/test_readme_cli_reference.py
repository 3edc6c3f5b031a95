"""The README's CLI reference names every command, its required arguments and the units."""

from __future__ import annotations

import argparse
from pathlib import Path

from hydra.entrypoints.cli import _parser

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
REFERENCE = README.split("## CLI reference", 1)[1].split("\n## ", 1)[0]


def _commands() -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _row(command: str) -> str:
    rows = [line for line in REFERENCE.splitlines() if line.startswith(f"| `hydra {command}")]
    assert len(rows) == 1, f"no single CLI reference row for hydra {command}"
    return rows[0]


def test_every_command_has_a_row_naming_each_required_argument() -> None:
    """Each subcommand's required options and positionals are in its reference row."""
    for command, parser in _commands().items():
        row = _row(command)
        required = row.split("|")[2]
        for action in parser._actions:
            if action.option_strings and action.required:
                assert action.option_strings[-1] in required, (command, action.option_strings)
            elif not action.option_strings and action.nargs not in ("?", "*") and action.required:
                name = (action.metavar or action.dest).upper()
                assert f"`{name}`" in required, (command, name)


def test_units_are_stated_where_a_number_could_be_misread() -> None:
    """The fraction, seconds and quantity flags say their unit, in the README and in --help."""
    trade = _row("trade")
    assert "`--offset F` (**a fraction of the reference price**: 0.01 = 1 %" in trade
    assert "`--interval S` (seconds" in trade
    assert "`--quantity Q` (shares or contracts" in trade
    assert "`--timeout SECONDS`" in REFERENCE
    helps = {a.dest: a.help or "" for a in _commands()["trade"]._actions}
    assert "FRACTION" in helps["offset"]
    assert "0.01 = 1%%" in helps["offset"]  # argparse renders %% as %
    assert "seconds" in helps["interval"]
