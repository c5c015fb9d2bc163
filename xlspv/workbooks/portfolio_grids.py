"""The portfolio report's two grids: both readings side by side (Readings) and the rate x scale heat map
(Sensitivity)."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..portfolio import (
    LIFE_FROM_DEFAULT,
    READING_FIGURES,
    PortfolioResult,
)
from .portfolio_layout import (
    FIRST_ROW,
    FORMATS,
    HEADER_ROW,
    UNITS_ROW,
    Columns,
    add_table,
    clean,
    fill_rows,
    kind_of,
    table_header,
    units_row,
)
from .style import (
    INTEGER,
    MONEY,
    NOTE_FONT,
    PERCENT,
    SUBTITLE_FONT,
    print_setup,
    set_widths,
    write_header,
    write_text,
    write_title,
)

READING_LABELS = {
    "threshold_date": ("threshold date", "date"),
    "xirr_japan": ("XIRR Japan", "%"),
    "japan_received": ("Japan received", "$"),
    "us_received": ("US received", "$"),
    "unrecovered": ("unrecovered deemed allocation", "$"),
}
READING_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, unit ("$" = the money unit); the same figures as the one-SPV report's Readings
    ("id", "SPV ID", "text"),
    ("name", "Name", "text"),
    ("useful_life", "Useful life (scheduled reading)", "years"),
    ("useful_life_from", "Useful life from", "text"),
    *(
        (f"{basis}_{key}", f"{title}: {label}", unit)
        for basis, title in (
            ("cumulative", "Cumulative (default)"),
            ("scheduled", "Scheduled"),
            ("pooled", "Pooled (one program balance)"),
        )
        for key, (label, unit) in READING_LABELS.items()
    ),
    ("delta_japan_received", "Scheduled less cumulative: Japan received", "$"),
    ("delta_xirr_japan", "Scheduled less cumulative: XIRR Japan", "%"),
    ("note", "Note", "text"),
)


def readings_sheet(wb: Workbook, result: PortfolioResult) -> tuple[Columns, int, int]:
    """Both readings side by side, a row per SPV and a Program row; returns columns, last row, program row."""
    readings = result.readings
    assert readings is not None
    ws = wb.create_sheet("Readings")
    table = readings.spvs
    n = len(table)
    cols = Columns([k for k, _, _ in READING_COLUMNS])
    write_title(
        ws,
        "Readings",
        "Readings: the same flows under both readings of the deemed allocation, per SPV and for the "
        "program. Cumulative (default): one running balance of principal plus deemed interest, as on "
        "every other sheet. Scheduled: each year, deemed interest plus principal / useful life plus any "
        f"carried shortfall (the second reading). Money in {result.unit}. A blank threshold date: not "
        "reached; a blank XIRR: no IRR.",
    )
    units_row(
        ws,
        UNITS_ROW,
        [
            result.unit if u == "$" else ("% points" if k == "delta_xirr_japan" else u)
            for k, _, u in READING_COLUMNS
        ],
    )
    table_header(ws, HEADER_ROW, [h for _, h, _ in READING_COLUMNS])
    ws.row_dimensions[HEADER_ROW].height = 60
    data: list[tuple[Any, str | None, str]] = []
    for key, _, unit in READING_COLUMNS:
        fmt = INTEGER if key == "useful_life" else FORMATS[unit]
        formula = _reading_formula(cols, key)
        if formula is not None:
            data.append((formula, fmt, "f"))
        else:  # an empty note is a blank cell
            data.append(
                ([v or None for v in table[key]] if key == "note" else table[key], fmt, kind_of(unit))
            )
    fill_rows(ws, FIRST_ROW, data, n)
    last = FIRST_ROW + n - 1
    add_table(ws, "tblReadings", 1, len(READING_COLUMNS), HEADER_ROW, last)

    program_row = last + 1
    program = readings.program
    incomplete = int((table["note"] != "").sum())
    ws.cell(row=program_row, column=1, value="Program").font = SUBTITLE_FONT
    write_text(ws, program_row, 2, f"All {n:,} SPVs").font = SUBTITLE_FONT
    for basis in ("cumulative", "scheduled", "pooled"):
        for key in READING_FIGURES:
            letter = cols[f"{basis}_{key}"]
            cell = ws[f"{letter}{program_row}"]
            cell.value = clean(program.loc[basis, key])
            cell.number_format = FORMATS[READING_LABELS[key][1]]
            cell.font = SUBTITLE_FONT
    for key in ("delta_japan_received", "delta_xirr_japan"):
        cell = ws[f"{cols[key]}{program_row}"]
        cell.value = (_reading_formula(cols, key) or "").format(r=program_row)
        cell.number_format = MONEY if key == "delta_japan_received" else PERCENT
        cell.font = SUBTITLE_FONT
    if incomplete:
        write_text(
            ws, program_row, len(READING_COLUMNS), f"Scheduled: {incomplete} SPV(s) not computed (see notes)"
        )
    notes = [
        "Program: threshold date = the date every SPV is past its threshold (blank while any is not); "
        "XIRR over Japan's flows summed over every SPV by date; money summed over the SPVs.",
        "Useful life: the SPV table's useful_life column, else the terms' (Terms sheet), else "
        f"{readings.default_useful_life} years ('{LIFE_FROM_DEFAULT}'). The cumulative reading ignores it.",
        "Threshold, scheduled reading: the row that pays off the last amount ever due; unrecovered: what is "
        "still due in the last row's year plus the installments of later years.",
        "Pooled: one deemed balance for the whole program (rows of every SPV by date; same date: SPV "
        "table order, then input order); the threshold date is the program's; an SPV has no unrecovered "
        "amount of its own (blank), the program row has the one balance left."
        + (f" Not computed: {table['pooled_note'].iloc[0]}." if table["pooled_note"].iloc[0] else ""),
    ]
    for offset, text in enumerate(notes):
        write_text(ws, program_row + 2 + offset, 1, text).font = NOTE_FONT
    widths = {"A": 14, "B": 40, "C": 12, "D": 26}
    widths.update({get_column_letter(c): 15 for c in range(5, len(READING_COLUMNS))})
    widths[get_column_letter(len(READING_COLUMNS))] = 60
    set_widths(ws, widths)
    ws.freeze_panes = f"C{FIRST_ROW}"
    print_setup(
        ws,
        title_rows=f"{UNITS_ROW}:{HEADER_ROW}",
        area=f"A1:{get_column_letter(len(READING_COLUMNS))}{program_row + 1 + len(notes)}",
    )
    return cols, last, program_row


def _reading_formula(cols: Columns, key: str) -> str | None:
    """The native formula of a derived Readings column (``{r}`` = the row), or None for a value column."""
    if key in ("delta_japan_received", "delta_xirr_japan"):
        figure = key.removeprefix("delta_")
        cum, sched = cols[f"cumulative_{figure}"], cols[f"scheduled_{figure}"]
        return f'=IF(OR({cum}{{r}}="",{sched}{{r}}=""),"",{sched}{{r}}-{cum}{{r}})'
    return None


def sensitivity_sheet(wb: Workbook, result: PortfolioResult) -> None:
    sens = result.sensitivity
    assert sens is not None
    ws = wb.create_sheet("Sensitivity")
    write_title(
        ws,
        "Sensitivity",
        "Japan's XIRR and the threshold year over a grid of deemed rates (each rate "
        "replaces every SPV's deemed rate) and of scales of distributable cash (fundings unscaled). "
        "Blank: no IRR, or the threshold is not reached.",
    )
    spvs = result.spvs
    n, n_r = len(spvs), sens.rates.size
    last_col = get_column_letter(2 + n_r)
    row = 5
    for s, scale in enumerate(sens.scales.tolist()):
        ws.cell(row=row, column=1, value=f"Distributable cash x {scale:.0%}").font = SUBTITLE_FONT
        row += 1
        _rate_header(ws, row, "Program", "Unit", sens.rates)
        program_rows = [
            ("Japan's XIRR (all SPVs' flows)", "%", sens.program_xirr_japan[s], PERCENT),
            ("Year every SPV is past its threshold", "year", sens.program_threshold_year[s], INTEGER),
            ("Japan received", result.unit, sens.program_japan_received[s], MONEY),
            ("SPVs past their threshold", "count", sens.program_reached[s], INTEGER),
        ]
        for label, unit, values, fmt in program_rows:
            row += 1
            ws.cell(row=row, column=1, value=label)
            write_text(ws, row, 2, unit)
            for j, v in enumerate(values.tolist()):
                ws.cell(row=row, column=3 + j, value=clean(v)).number_format = fmt
        ws.conditional_formatting.add(f"C{row - 3}:{last_col}{row - 3}", _heat(high_is_good=True))
        row += 2
        for title, values, fmt, good in (
            ("Japan's XIRR by SPV", sens.xirr_japan[:, s, :], PERCENT, True),
            ("Threshold year by SPV", sens.threshold_year[:, s, :], INTEGER, False),
        ):
            ws.cell(row=row, column=1, value=f"{title} (cash x {scale:.0%})").font = SUBTITLE_FONT
            row += 1
            _rate_header(ws, row, "SPV ID", "Name", sens.rates)
            first = row + 1
            columns: list[tuple[Any, str | None, str]] = [(spvs["id"], None, "s"), (spvs["name"], None, "s")]
            columns += [(values[:, j], fmt, "n") for j in range(n_r)]
            fill_rows(ws, first, columns, n)
            ws.conditional_formatting.add(f"C{first}:{last_col}{first + n - 1}", _heat(high_is_good=good))
            row = first + n + 1
    set_widths(ws, {"A": 40, "B": 40, **{get_column_letter(3 + j): 12 for j in range(n_r)}})
    ws.freeze_panes = "C5"
    print_setup(ws)


def _rate_header(ws: Worksheet, row: int, first: str, second: str, rates: Any) -> None:
    write_header(ws, row, [first, second, *[float(r) for r in rates]])
    for j in range(rates.size):
        ws.cell(row=row, column=3 + j).number_format = PERCENT


def _heat(*, high_is_good: bool) -> ColorScaleRule:
    red, yellow, green = "FFF8696B", "FFFFEB84", "FF63BE7B"
    low, high = (red, green) if high_is_good else (green, red)
    return ColorScaleRule(
        start_type="min",
        start_color=low,
        mid_type="percentile",
        mid_value=50,
        mid_color=yellow,
        end_type="max",
        end_color=high,
    )
