"""Helpers shared by the test modules (each was once copied into several of them)."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner, Result

#: Excel's day 0 in the 1900 date system; serials from 61 (1 March 1900) name the same day as Python.
EXCEL_EPOCH = dt.date(1899, 12, 30)


def serial(day: dt.date) -> int:
    """Excel 1900-system serial of a date (after 1 March 1900), counted by hand from Excel's day 0."""
    return (day - EXCEL_EPOCH).days


def run_cli(*args: str) -> Result:
    """Run the ``xlspv`` command in-process, stdout and stderr apart (exit code, output, exception)."""
    from xlspv.cli import main

    return CliRunner().invoke(main, list(args))
