"""The ``xlspv`` command: report workbooks, the template, and waterfall summaries.

Every input error (:class:`xlspv.errors.SpvError`) and every file error (``OSError``) ends the command
with one line, ``xlspv: error: ...``, and exit status 2; never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import SpvError


class SpvCommand(click.Group):
    """A click group that turns xlspv's input errors into one line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader of our output went away (`xlspv summary | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except (SpvError, OSError) as exc:
            click.echo(f"xlspv: error: {_one_line(exc)}", err=True)
            sys.exit(2)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@click.group(cls=SpvCommand)
@click.version_option(__version__, prog_name="xlspv")
def main() -> None:
    """Model how an SPV's cash splits between the US and Japan under the 2025 agreement.

    \b
    Example:
        xlspv report my_spv.xlsx -o my_spv_report.xlsx
    """


# --- shared options -------------------------------------------------------------------------------

INPUT = click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=False))

TERM_OPTIONS: list[tuple[str, str, str]] = [
    ("--deemed-rate", "deemed_rate", "Annual deemed interest rate, e.g. 0.055 or 5.5% (required for a CSV)."),
    ("--day-count", "day_count", "ACT/365F (default), ACT/360 or 30/360."),
    (
        "--compounding",
        "compounding",
        "annual (default), semiannual, quarterly, monthly, continuous or simple.",
    ),
    ("--japan-share-before", "japan_share_before", "Japan's share before the threshold (default 0.5)."),
    ("--japan-share-after", "japan_share_after", "Japan's share after the threshold (default 0.1)."),
    ("--partner-share", "partner_share", "Part of Japan's side held by a foreign partner (default 0)."),
    ("--allocation-basis", "allocation_basis", "cumulative (default) or scheduled."),
    ("--useful-life", "useful_life", "Whole years; required by the scheduled basis."),
]


def _plausible_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse ``--deemed-rate 5``: almost always 5% typed without the sign, not a 500% deemed rate."""
    from .errors import TermsError

    text = (value or "").strip()
    try:
        number = float(text)
    except ValueError:
        return value  # "5.5%" and bad texts: the terms explain those
    if abs(number) >= 1.0:
        raise TermsError(
            f"--deemed-rate: {text} would be {number:.0%} a year; write the rate as a decimal "
            f"({number / 100:g}) or with a per-cent sign ({text}%)."
        )
    return value


def term_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The terms as options: for a CSV the terms themselves; for a workbook, overrides of its Terms."""
    for flag, name, text in reversed(TERM_OPTIONS):
        check = _plausible_rate if name == "deemed_rate" else None
        func = click.option(flag, name, default=None, metavar="VALUE", help=text, callback=check)(func)
    return func


def _stage(quiet: bool) -> Callable[[str], None]:
    started = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"xlspv: {message} ({time.perf_counter() - started:.1f} s)", err=True)

    return say


def _load(input_path: str | None, terms: dict[str, Any], say: Callable[[str], None]) -> tuple[Any, Any]:
    """The input (or the built-in example) and its terms, options applied."""
    from .workbooks.reader import example_input, read_input

    if input_path is None:
        say("using the built-in example (no INPUT given)")
        spv = example_input()
    else:
        say(f"reading {input_path}")
        spv = read_input(input_path)
    return spv, spv.terms(**terms)


# --- commands -------------------------------------------------------------------------------------


@main.command("report")
@INPUT
@click.option(
    "-o",
    "--output",
    "out",
    default="xlspv_report.xlsx",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The report workbook to write (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--unit", default="$m", show_default=True, help="The money unit of the values, for labels.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print progress to stderr.")
@term_options
def report_command(
    input_path: str | None, out: str, force: bool, unit: str, quiet: bool, **terms: Any
) -> None:
    """Write the report workbook of one SPV.

    The sheets: Cover, Inputs, Terms, Audit (the waterfall as native formulas), Summary, Waterfall,
    Schedule, Charts and Checks. INPUT is a filled template (.xlsx, see `xlspv template`) or a CSV
    file with a date,value[,note] header (dates as YYYY-MM-DD, fundings negative); without INPUT the
    built-in example is used. A CSV carries no terms: give them as options (--deemed-rate at least).
    For a workbook, the options given replace the terms on its Terms sheet. The input is never
    modified; the report is written atomically and an existing file is replaced only with --force.

    \b
    Example:
        xlspv report flows.csv --deemed-rate 0.055 --day-count ACT/360 -o out/report.xlsx
    """
    from .workbooks.files import check_output
    from .workbooks.report import write_report

    check_output(out, force=force, inputs=[input_path])  # before reading: fail fast
    say = _stage(quiet)
    spv, chosen = _load(input_path, terms, say)
    path = write_report(spv, chosen, out, force=force, unit=unit, progress=say)
    size = Path(path).stat().st_size
    say(f"wrote {path} ({size / 1024:.0f} KiB)")
    click.echo(str(path))


@main.command("template")
@click.argument(
    "path", metavar="[PATH]", required=False, default="spv_template.xlsx", type=click.Path(dir_okay=False)
)
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def template_command(path: str, force: bool) -> None:
    """Write the input template to PATH.

    PATH defaults to spv_template.xlsx. Fill its Flows table and Terms, then run `xlspv report` on
    it. Its Results sheet calls the xlspv add-in; the report does not need the add-in.

    \b
    Example:
        xlspv template my_spv.xlsx
    """
    try:
        from .workbooks.template import write_template
    except ImportError as exc:  # the template writer ships separately from this command
        raise SpvError(f"the template writer is not available in this installation ({exc}).") from None
    written = write_template(path, force=force)
    click.echo(str(written or path))


def _fmt(name: str, value: Any, unit: str) -> str:
    """One summary figure as a finance user reads it: money with its unit, rates in %, multiples in x."""
    if value is None:
        return "n/a"
    if name.startswith("xirr_"):
        return f"{value:.4%}"
    if name.startswith("multiple_"):
        return f"{value:.2f}x"
    if name == "years_to_threshold":
        return f"{value:.2f} years"
    if isinstance(value, float):
        return f"{value + 0.0:,.2f} {unit}"  # + 0.0 turns -0.0 into 0.0
    return str(value)


@main.command("summary")
@INPUT
@click.option("--unit", default="$m", show_default=True, help="The money unit of the values, for labels.")
@term_options
def summary_command(input_path: str | None, unit: str, **terms: Any) -> None:
    """Print the waterfall summary of INPUT.

    INPUT is a filled template (.xlsx) or a CSV file, as for `xlspv report`, whose terms options
    this command takes too; without INPUT, the built-in example.

    \b
    Example:
        xlspv summary flows.csv --deemed-rate 0.055
    """
    from .waterfall import compute

    spv, chosen = _load(input_path, terms, lambda _: None)
    result = compute(spv.values, spv.dates, chosen)
    click.echo(spv.name)
    for name, value in result.summary().as_dict().items():
        click.echo(f"  {name:<20} {_fmt(name, value, unit)}")


def _decimals(text: str, option: str) -> list[float]:
    """Comma-separated decimals ("0.04,0.05"); "none" gives an empty list."""
    from .errors import SpvInputError

    if text.strip().lower() == "none":
        return []
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SpvInputError(
            f"{option}: {text!r} is not a list of decimals; give e.g. 0.04,0.05,0.06."
        ) from None


@main.command("portfolio")
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path())
@click.option(
    "-o",
    "--output",
    "out",
    default="xlspv_portfolio_report.xlsx",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The portfolio report workbook to write (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option(
    "--rates",
    default=None,
    help="Deemed rates of the sensitivity, comma-separated decimals (default: the deemed rate -2 to +2 "
    "points; 'none' for no sensitivity sheet).",
)
@click.option(
    "--scales", default="1", show_default=True, help="Scales of distributable cash, comma-separated."
)
@click.option(
    "--readings/--no-readings",
    default=None,
    help="Add the Readings sheet: every SPV and the program under both readings of the deemed "
    "allocation, cumulative and scheduled (useful life: the SPV table's useful_life column, else "
    "--useful-life or the Terms, else 20 years, labelled as the default). The scheduled reading runs "
    "one SPV at a time (some 25-35 ms per 480-row SPV). Default: on for the built-in example, off for INPUT.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not print progress to stderr.")
@term_options
def portfolio_command(
    input_path: str | None,
    out: str,
    force: bool,
    rates: str | None,
    scales: str,
    readings: bool | None,
    quiet: bool,
    **terms: Any,
) -> None:
    """Write the portfolio report of many SPVs: the $550 billion program view.

    The sheets: Cover, Terms, SPVs, Program by year, Cap & deadline, Flags, Sectors, Charts,
    Readings (with --readings), Sensitivity and Checks. INPUT is an .xlsx with sheets SPVs and Flows
    (and optionally Terms), or a folder holding spvs.csv and flows.csv (and optionally terms.csv);
    without INPUT, the built-in example portfolio. The term options replace the input's default terms
    (each SPV's own term columns still apply). Fundings less than 45 days after notice or after 19
    January 2029, funding above commitment and commitments over the cap are flagged in the report,
    not refused. The program view is computed on the cumulative basis (one batch); the scheduled basis
    is shown beside it on the Readings sheet, so --allocation-basis scheduled needs --readings.

    \b
    Example:
        xlspv portfolio program.xlsx -o program_report.xlsx
        xlspv portfolio program.xlsx --readings --useful-life 25 -o program_with_readings.xlsx
    """
    import dataclasses

    from .errors import TermsError
    from .portfolio import analyse, load_portfolio
    from .terms import Terms
    from .workbooks.files import check_output
    from .workbooks.portfolio_report import write_portfolio_report

    check_output(out, force=force, inputs=[input_path])  # before reading: fail fast
    say = _stage(quiet)
    if input_path is None:
        from . import example_portfolio

        say("using the built-in example portfolio (no INPUT given)")
        portfolio = example_portfolio.portfolio()
    else:
        say(f"reading {input_path}")
        portfolio = load_portfolio(input_path)
    given = {name: value for name, value in terms.items() if value is not None}
    if portfolio.terms is None and "deemed_rate" not in given:
        raise TermsError(
            "deemed_rate: required (no default); pass --deemed-rate (e.g. 0.055) or add a Terms sheet "
            "(terms.csv beside spvs.csv) to the input."
        )
    if readings is None:
        readings = input_path is None
    basis = given.get("allocation_basis")
    from_option = basis is not None
    if not from_option and portfolio.terms is not None:
        basis = portfolio.terms.allocation_basis
    if isinstance(basis, str) and basis.strip().lower() == "scheduled":
        where = "--allocation-basis" if from_option else "the input's Terms"
        if not readings:
            raise TermsError(
                f"allocation_basis: 'scheduled' ({where}): the portfolio view runs on the batch path, which "
                "computes the cumulative basis only; pass --readings to see the scheduled basis beside it "
                "on the Readings sheet (useful life from --useful-life or the Terms, else 20 years)."
            )
        given["allocation_basis"] = "cumulative"  # useful_life then optional: the readings default it
        say(
            f"allocation basis 'scheduled' ({where}): the program view uses the cumulative basis (the "
            "batch path); the scheduled basis is on the Readings sheet"
        )
    if portfolio.terms is None:
        chosen = Terms.from_mapping(given)
    else:
        chosen = dataclasses.replace(portfolio.terms, **given)
    grid = None if rates is None else _decimals(rates, "--rates")
    result = analyse(
        portfolio,
        chosen,
        say,
        rates=grid,
        scales=_decimals(scales, "--scales") or [1.0],
        readings=readings,
    )
    path = write_portfolio_report(result, out, force=force, input_path=input_path, progress=say)
    say(
        f"{result.program.spvs:,} SPVs, {result.program.committed:,.1f} {result.unit} committed of the "
        f"{result.cap.cap:,.1f} cap, {len(result.flags):,} flags"
    )
    click.echo(str(path))


@main.command("verify")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option(
    "--runtime",
    type=click.Choice(["any", "classic", "server", "lite"]),
    default="any",
    show_default=True,
    help="Which runtime's stored formulas count; a call stored for another runtime fails.",
)
@click.option(
    "--tolerance", default=1e-9, show_default=True, metavar="REL", help="Relative tolerance of numbers."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for other tools).")
@click.option("--update", is_flag=True, help="Write -o OUTPUT: a copy saving xlspv's results in its cells.")
@click.option("-o", "--output", "out", default=None, type=click.Path(dir_okay=False), help="With --update.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def verify_command(
    workbook: str, runtime: str, tolerance: float, as_json: bool, update: bool, out: str | None, force: bool
) -> None:
    """Check the saved results of xlspv's functions in WORKBOOK, headless.

    Every call of SPV_IRR, SPV_PAYOUT, THRESHOLD_DATE, SPV_WATERFALL, SPV_RATE_GRID and SPV_VERSION
    (in any runtime's stored form) is computed from the saved values of the cells it reads and
    compared with the value Excel saved, every cell of a spill included. One line per cell that
    differs, then a summary. Exit status: 0 all agree, 1 any differs, was never computed or reads
    stale inputs (or no call was found), 2 the file cannot be used. With --update -o OUTPUT, writes a
    copy whose saved values are xlspv's results (formulas kept; the input is never modified), then
    checks that copy. See docs/verify.md for the CI recipe.

    \b
    Example:
        xlspv verify models/committee_pack.xlsx
        xlspv verify models/committee_pack.xlsx --update -o out/committee_pack.xlsx
    """
    from .errors import SpvInputError
    from .workbooks import verify as checking

    if update and out is None:
        raise SpvInputError("--update needs -o OUTPUT.xlsx (the input is never modified).")
    if out is not None and not update:
        raise SpvInputError("-o OUTPUT is written by --update only; add --update, or leave -o out.")
    if update:
        report = checking.update(workbook, out, force=force, runtime=runtime, tolerance=tolerance)
    else:
        report = checking.verify(workbook, runtime=runtime, tolerance=tolerance)
    click.echo(report.as_json() if as_json else "\n".join(report.lines()))
    sys.exit(report.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
