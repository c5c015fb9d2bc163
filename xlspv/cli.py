"""The ``xlspv`` command: waterfall summaries, template and report workbooks."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__, example
from .errors import SpvError
from .waterfall import compute


class SpvCommand(click.Group):
    """A click group that turns xlspv's input errors into one line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SpvError, OSError) as exc:
            click.echo(f"xlspv: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=SpvCommand)
@click.version_option(__version__, prog_name="xlspv")
def main() -> None:
    """Model how an SPV's cash splits between the US and Japan under the 2025 agreement."""


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.6f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


@main.command("summary")
def summary_command() -> None:
    """Print the waterfall summary of the built-in example SPV.

    \b
    Example:
        xlspv summary
    """
    result = compute(example.values(), example.dates(), example.TERMS)
    click.echo(f"{example.NAME} (money in {example.UNIT})")
    for name, value in result.summary().as_dict().items():
        click.echo(f"  {name:<20} {_fmt(value)}")


if __name__ == "__main__":  # pragma: no cover
    main()
