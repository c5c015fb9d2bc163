"""The ``xlspv`` command: report workbooks, the template, and waterfall summaries.

Every input error (:class:`xlspv.errors.SpvError`) and every file error (``OSError``) ends the command
with one line, ``xlspv: error: ...``, and exit status 2; never a traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import SpvError
from .scheduled import DEFAULT_USEFUL_LIFE
from .terms import TERM_INFO


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


def console() -> None:
    """The ``xlspv`` console script: :func:`main`, then the process ends without Python's teardown.

    Python's teardown after a large run frees every module's objects, which the system reclaims at
    exit anyway (0.35 s after ``xlspv portfolio`` on 10,000 SPVs). When :func:`main` returns, every
    file it wrote is closed and its threads have ended, so the script runs the exit handlers
    (openpyxl's removes its temporary files), flushes and leaves with the same status; output that
    cannot be written is one line and status 2. Calling :func:`main` in-process is not affected.

    The command runs with :func:`xlspv._jit.command_settings` (OpenMP threads that sleep, numpy's
    arrays without the huge-page advice), unless the environment says otherwise.
    """
    from ._jit import command_settings

    command_settings()
    try:
        main()
        status: Any = 0
    except SystemExit as exc:
        status = exc.code
    except OSError as exc:  # writing the output itself failed (click's --version, --help)
        status = _output_failed(exc)
    if status is None:
        status = 0
    elif not isinstance(status, int):  # as Python does for sys.exit("message")
        print(status, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader of our output went away: nothing more to say
        pass
    except OSError as exc:  # (a full disk behind a redirection)
        failed = _output_failed(exc)  # said whatever the status: main's own failure keeps its status
        status = status or failed
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(status)


def _output_failed(exc: OSError) -> int:
    """Say on stderr (if it can be written) that the output could not be; the exit status, 2."""
    with contextlib.suppress(OSError):
        print(f"xlspv: error: cannot write the output: {_one_line(exc)}", file=sys.stderr)
    return 2


# --- shared options -------------------------------------------------------------------------------

# A folder is refused by the reader in one line (click's own refusal takes three).
INPUT = click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path())

#: The term options, in the order --help lists them; their help is :data:`xlspv.terms.TERM_INFO`'s.
_OPTION_ORDER = (
    "deemed_rate",
    "guarantee_fee",
    "day_count",
    "compounding",
    "japan_share_before",
    "japan_share_after",
    "partner_share",
    "allocation_basis",
    "useful_life",
)
TERM_OPTIONS: list[tuple[str, str, str]] = [
    ("--" + name.replace("_", "-"), name, TERM_INFO[name].option) for name in _OPTION_ORDER
]


def _plausible_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse ``--deemed-rate 5`` (500%?) and ``0,055`` now, by the rate rule of every surface."""
    from .terms import parse_rate

    if value is not None and value.strip():
        parse_rate(value, "--deemed-rate")
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
@click.option(
    "--runtime",
    type=click.Choice(["classic", "server", "lite"]),
    default="classic",
    show_default=True,
    help="The Excel add-in the formulas are stored for: classic (Windows xlwings add-in), server "
    "(xlwings Server: =XLWINGS.SPV_IRR) or lite (xlwings Lite).",
)
def template_command(path: str, force: bool, runtime: str) -> None:
    """Write the input template to PATH.

    PATH defaults to spv_template.xlsx. Fill its Flows table and Terms, then run `xlspv report` on
    it. Its Results sheet calls the xlspv add-in; the report does not need the add-in.

    \b
    Example:
        xlspv template my_spv.xlsx
    """
    from .workbooks.template import write_template

    written = write_template(path, force=force, runtime=runtime)
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


def _discount_rate(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``--discount-rate`` by the rate rule of every surface (0.05 or 5%; 5 and 0,05 refused), now."""
    from .terms import parse_rate

    return None if value is None else parse_rate(value, "--discount-rate")


DISCOUNT_RATE = click.option(
    "--discount-rate",
    "discount_rate",
    default=None,
    metavar="RATE",
    callback=_discount_rate,
    help="Annual discount rate of the present values (0.05 or 5%; default: the deemed rate).",
)


@main.command("summary")
@INPUT
@click.option("--unit", default="$m", show_default=True, help="The money unit of the values, for labels.")
@DISCOUNT_RATE
@term_options
def summary_command(input_path: str | None, unit: str, discount_rate: float | None, **terms: Any) -> None:
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
    from .value import present_values

    pv = present_values(result, discount_rate)
    click.echo(f"Present values at {pv.discount_rate:.4%} a year, at the first funding ({pv.start})")
    for name, value in pv.as_dict().items():
        if name not in ("discount_rate", "start"):
            click.echo(f"  pv_{name:<24} {_fmt(name, value, unit)}")


def _decimals(text: str, option: str, *, rates: bool = False) -> list[float]:
    """Comma-separated decimals ("0.04,0.05"); "none" gives an empty list.

    Each part follows the one number rule (:func:`xlspv.cells.number_from_text`); ``rates`` applies
    the rate rule too (:func:`xlspv.terms.parse_rate`), so ``--rates 0,055`` (a decimal comma read
    as 0 and 55) is refused as 5500% a year, not read as two rates.
    """
    from .cells import number_from_text
    from .errors import SpvInputError
    from .terms import parse_rate

    if text.strip().lower() == "none":
        return []
    if re.fullmatch(r"\s*[-+]?\d+,\d+\s*", text):  # one number with a decimal comma, or two numbers?
        raise SpvInputError(
            f"{option}: {text.strip()!r} is ambiguous: the comma separates values here; write decimals "
            "with a point (e.g. 0.055, or 5.5% for a rate) and separate values with commas."
        )
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise SpvInputError(f"{option}: {text!r} has an empty value; give e.g. 0.04,0.05,0.06.")
    try:
        numbers = [number_from_text(part, percent=rates) for part in parts]
    except ValueError:
        raise SpvInputError(
            f"{option}: {text!r} is not a list of decimals; give e.g. 0.04,0.05,0.06."
        ) from None
    return [parse_rate(part, option) for part in parts] if rates else numbers


def _declined(text: str | None) -> Any:
    """``SPV`` or ``SPV@YYYY-MM-DD`` as (SPV id, date or None)."""
    import datetime as dt

    from .errors import SpvInputError

    if text is None:
        return None
    spv, _, when = text.partition("@")
    if not when:
        return spv.strip(), None
    try:
        return spv.strip(), dt.date.fromisoformat(when.strip())
    except ValueError:
        raise SpvInputError(f"--declined: {when!r} is not a date; give SPV@YYYY-MM-DD.") from None


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
    f"--useful-life or the Terms, else {DEFAULT_USEFUL_LIFE} years, labelled as the default). The "
    "scheduled reading runs one SPV at a time (some 25-35 ms per 480-row SPV). Default: on for the "
    "built-in example, off for INPUT.",
)
@click.option(
    "--program",
    "program",
    default=None,
    help="The program whose rules are checked: japan-2025 (default) or korea-2025 (default: the one "
    "the input's Terms sheet names; without INPUT, the program's built-in example).",
)
@DISCOUNT_RATE
@click.option(
    "--declined",
    default=None,
    metavar="SPV[@DATE]",
    help="A declined-funding scenario for SPV (its first funding, or the one dated DATE, YYYY-MM-DD): "
    "the investor's distributions go to the US until the declined amount is covered.",
)
@click.option(
    "--risk-scenarios",
    default=None,
    metavar="N",
    help="Also run the risk view (the default risk model, N scenarios) and flag each SPV whose "
    "probability of recovering its deemed allocation within the program's review period (korea-2025: "
    "20 years from its first funding) is below --recovery-level. Default: off.",
)
@click.option("--risk-seed", default=None, metavar="S", help="Seed of --risk-scenarios (default 0).")
@click.option(
    "--recovery-level",
    default=None,
    metavar="P",
    help="The stated level of --risk-scenarios: a probability below it is flagged (default 0.5).",
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
    program: str | None,
    discount_rate: float | None,
    declined: str | None,
    risk_scenarios: str | None,
    risk_seed: str | None,
    recovery_level: str | None,
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
        xlspv portfolio --program korea-2025 --risk-scenarios 10000 -o korea_with_odds.xlsx
    """
    from .examples import portfolio as example_portfolio
    from .portfolio import analyse, program_terms
    from .workbooks.files import check_output
    from .workbooks.package import check_grid
    from .workbooks.portfolio_reader import load_portfolio
    from .workbooks.portfolio_report import write_portfolio_report

    check_output(out, force=force, inputs=[input_path])  # before reading: fail fast
    odds_options = _odds_options(risk_scenarios, risk_seed, recovery_level)
    if rates is not None:  # the Sensitivity sheet has two columns and one a rate: said before any work
        check_grid(columns=2 + len(_decimals(rates, "--rates")), what="--rates")
    say = _stage(quiet)
    from .portfolio.agreement import get_program

    chosen_program = None if program is None else get_program(program, "--program")
    if input_path is None and chosen_program is not None and chosen_program.name == "korea-2025":
        from .examples import korea

        say("using the built-in Korean example program (no INPUT given)")
        portfolio = korea.portfolio()
    elif input_path is None:
        say("using the built-in example portfolio (no INPUT given)")
        portfolio = example_portfolio.portfolio()
    else:
        say(f"reading {input_path}")
        portfolio = load_portfolio(input_path)
    if readings is None:
        readings = input_path is None
    chosen = program_terms(portfolio, terms, readings=readings, progress=say)
    grid = None if rates is None else _decimals(rates, "--rates", rates=True)
    odds = None
    if odds_options is not None:
        odds = _recovery_odds(portfolio, chosen, chosen_program, odds_options, say)
    result = analyse(
        portfolio,
        chosen,
        say,
        rates=grid,
        scales=_decimals(scales, "--scales") or [1.0],
        readings=readings,
        discount_rate=discount_rate,
        program=chosen_program.name if chosen_program else None,
        declined=_declined(declined),
        recovery_odds=odds,
    )
    path = write_portfolio_report(result, out, force=force, input_path=input_path, progress=say)
    say(
        f"{result.program.spvs:,} SPVs, {result.program.committed:,.1f} {result.unit} committed of the "
        f"{result.cap.cap:,.1f} cap, {len(result.flags):,} flags"
    )
    click.echo(str(path))


def _odds_options(
    scenarios: str | None, seed: str | None, level: str | None
) -> tuple[int, int, float] | None:
    """--risk-scenarios, --risk-seed and --recovery-level checked (None: the probability flag is off)."""
    from .errors import SpvInputError
    from .portfolio.odds import DEFAULT_RECOVERY_LEVEL, check_level
    from .risk import check_scenarios, check_seed

    if scenarios is None:
        if seed is not None or level is not None:
            given = "--risk-seed" if seed is not None else "--recovery-level"
            raise SpvInputError(f"{given} needs --risk-scenarios N (the probability flag is off without it).")
        return None
    return (
        check_scenarios(scenarios, where="--risk-scenarios"),
        check_seed(0 if seed is None else seed),
        check_level(DEFAULT_RECOVERY_LEVEL if level is None else level, "--recovery-level"),
    )


def _recovery_odds(
    portfolio: Any, terms: Any, program: Any, options: tuple[int, int, float], say: Any
) -> Any:
    """Run the risk view of the program (the default model) and hand its probabilities to the flags."""
    from .portfolio.odds import RecoveryOdds, check_review
    from .risk import simulate_program

    scenarios, seed, level = options
    portfolio = portfolio.with_program(program)
    check_review(portfolio.program, terms.allocation_basis)  # before the run: fail fast
    say(f"running the risk view: {scenarios:,} scenarios, seed {seed}, the default risk model")
    risk = simulate_program(portfolio, terms, scenarios=scenarios, seed=seed)
    return RecoveryOdds.from_risk(risk, portfolio.ids, level)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--ssl-keyfile", default=None, type=click.Path(dir_okay=False), help="TLS key (Excel needs HTTPS)."
)
@click.option("--ssl-certfile", default=None, type=click.Path(dir_okay=False), help="TLS certificate.")
def serve_command(host: str, port: int, ssl_keyfile: str | None, ssl_certfile: str | None) -> None:
    """Run an xlwings Server with the xlspv functions, for Excel on Windows, macOS and the web.

    Serves the add-in manifest at /manifest.xml and the six functions as =XLWINGS.SPV_IRR(...) etc.
    Needs xlwings Server (pip install "xlspv[server]") and XLWINGS_LICENSE_KEY: 'noncommercial' for
    non-commercial use, else a paid xlwings licence key. Stop it with Ctrl+C.

    \b
    Example:
        XLWINGS_LICENSE_KEY=noncommercial xlspv serve --port 8000
    """
    from .excel.server import serve

    serve(host, port, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile)


@main.command("lite")
@click.argument(
    "folder", metavar="[FOLDER]", required=False, default="xlspv_lite", type=click.Path(file_okay=False)
)
@click.option("--force", is_flag=True, help="Replace main.py and requirements.txt if they exist.")
@click.option("--wheel-url", default=None, help="The https URL where the xlspv wheel is served (CORS on).")
def lite_command(folder: str, force: bool, wheel_url: str | None) -> None:
    """Write main.py and requirements.txt to paste into xlwings Lite.

    FOLDER defaults to xlspv_lite. Paste requirements.txt into xlwings Lite's requirements tab (then
    restart), and main.py into its editor; the functions are then =SPV_IRR(...) etc. xlspv is not on
    PyPI: build its wheel (pip wheel --no-deps -w dist .), serve it over HTTPS with CORS and give its
    URL with --wheel-url (otherwise requirements.txt ends with a comment to replace).

    \b
    Example:
        xlspv lite my_lite --wheel-url https://example.org/xlspv-0.1.0-py3-none-any.whl
    """
    from .workbooks.lite import write_lite

    for path in write_lite(folder, force=force, wheel_url=wheel_url):
        click.echo(str(path))


# --- risk (issue 17) -------------------------------------------------------------------------------


def model_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The risk model's parameters as options (``--rate-vol`` ...), from :data:`xlspv.risk.PARAMETERS`."""
    from .risk import PARAMETERS

    for name, unit, default, text in reversed(PARAMETERS):
        shown = "rate_start" if default is None else default
        func = click.option(
            f"--{name.replace('_', '-')}",
            name,
            default=None,
            metavar="VALUE",
            help=f"{text} Unit: {unit}. Default {shown}.",
        )(func)
    return func


def _risk_line(name: str, kind: str, value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if kind == "probability":
        return f"{value:.4f}"
    if kind == "rate":
        return f"{value:.4%}"
    if kind == "money":
        return f"{value + 0.0:,.2f} {unit}"
    return str(value)


@main.command("risk")
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path())  # a folder too
@click.option(
    "--scenarios", default="10000", show_default=True, help="Number of scenarios (1 to 10,000,000)."
)
@click.option("--seed", default="0", show_default=True, help="Seed: the same seed gives the same figures.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the chunks on Dask: threads, processes, or a dask.distributed scheduler's address "
    "(tcp://host:port). Default: in this process.",
)
@click.option(
    "-o",
    "--output",
    "out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write the risk workbook (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--unit", default="$m", show_default=True, help="The money unit of the values, for labels.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@model_options
@term_options
def risk_command(
    input_path: str | None,
    scenarios: str,
    seed: str,
    scheduler: str | None,
    out: str | None,
    force: bool,
    unit: str,
    quiet: bool,
    **options: Any,
) -> None:
    """Print how likely Japan is to recover its deemed allocation (Monte Carlo).

    INPUT is a one-SPV input (as for `xlspv report`) or a program input (as for `xlspv portfolio`);
    without INPUT, the built-in example SPV. Prints `name value` lines (the program's figures for a
    program); -o also writes the risk workbook. Runs of 100,000 scenarios or more show a progress bar.

    \b
    Example:
        xlspv risk --scenarios 100000 --seed 1 --stop-hazard 0.02 -o out/risk.xlsx
        xlspv risk program.xlsx --scenarios 10000 --scheduler tcp://127.0.0.1:8786
    """
    from .risk import FIGURES, PARAMETERS, RiskModel, check_scenarios, check_seed, simulate, simulate_program

    model_names = {name for name, _, _, _ in PARAMETERS}
    model = RiskModel(**{k: v for k, v in options.items() if k in model_names and v is not None})
    terms = {k: v for k, v in options.items() if k not in model_names}
    n = check_scenarios(scenarios)
    first_seed = check_seed(seed)
    if out is not None:
        from .workbooks.files import check_output

        check_output(out, force=force, inputs=[input_path])
    kind, source = ("spv", None) if input_path is None else _risk_input(input_path)
    bar = None
    if not quiet and n >= 100_000:
        bar = click.progressbar(length=n, label="xlspv: scenarios", file=sys.stderr)
        bar.__enter__()
    last = [0]

    def tick(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - last[0])
            last[0] = done

    try:
        if kind == "program":
            import dataclasses

            from .terms import Terms

            assert source is not None  # a "program" kind comes only from reading INPUT
            given = {k: v for k, v in terms.items() if v is not None}
            chosen = (
                dataclasses.replace(source.terms, **given)
                if source.terms is not None
                else Terms.from_mapping(given)
            )
            result = simulate_program(
                source, chosen, model=model, scenarios=n, seed=first_seed, scheduler=scheduler, progress=tick
            )
            title = "Program"
        else:
            spv, chosen = _load(input_path, terms, lambda _: None)
            result = simulate(
                spv.values,
                spv.dates,
                chosen,
                model=model,
                scenarios=n,
                seed=first_seed,
                scheduler=scheduler,
                progress=tick,
                name=spv.name or "SPV",
            )
            title = spv.name
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(title)
    figures = result.figures
    for name, fig_kind in FIGURES:
        click.echo(f"  {name:<24} {_risk_line(name, fig_kind, figures[name], unit)}")
    if out is not None:
        from .workbooks.risk_report import write_risk_report

        click.echo(str(write_risk_report(result, chosen, out, input_path=input_path, unit=unit, force=force)))


def _risk_input(input_path: str) -> tuple[str, Any]:
    from .workbooks.risk_report import load_risk_input

    return load_risk_input(input_path)


# --- verify (issue 18) ----------------------------------------------------------------------------


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
    from .excel import verify as checking

    if update and out is None:
        raise SpvInputError("--update needs -o OUTPUT.xlsx (the input is never modified).")
    if out is not None and not update:
        raise SpvInputError("-o OUTPUT is written by --update only; add --update, or leave -o out.")
    if out is not None:  # the checks above: -o is given exactly when --update is
        report = checking.update(workbook, out, force=force, runtime=runtime, tolerance=tolerance)
    else:
        report = checking.verify(workbook, runtime=runtime, tolerance=tolerance)
    click.echo(report.as_json() if as_json else "\n".join(report.lines()))
    sys.exit(report.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
