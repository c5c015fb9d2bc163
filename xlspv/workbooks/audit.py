"""The report's Audit sheet: the cumulative waterfall rule again, as native Excel formulas.

A second, independent statement of the rule (the core is the first), written in the spreadsheet's own
language so a reviewer can follow it cell by cell and Excel or LibreOffice recompute it on opening; the
report's Checks compare it with the core's Waterfall sheet column by column. One formula per column,
the same in every row; flags (1/0) pick each row's rule instead of nested IFs; the day count and the
compounding are flags too; a dated deemed rate has one column per rate period, each accruing the part
of a row's span that falls in its period (so a rate change between two rows splits the span exactly as
the core does, under every day count, ``DAYS360`` included). Formulas hold no numeric constants but
0-12, 100, 360, 365 and 1000.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from ..terms import RateSchedule
from .report_layout import (
    AUDIT_FIRST,
    AUDIT_OPENING,
    DATE_OR_DASH,
    EXPONENT,
    FIRST,
    FLAG,
    HEADER_ROW,
    UNITS_ROW,
    Report,
    abs_ref,
    define,
    row_table_header,
    unit_text,
)
from .streamed import Column
from .style import (
    DATE,
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

#: The Audit's row columns: (key, header, unit, number format). The formulas are in ``_audit_row``.
AUDIT_COLUMNS: list[tuple[str, str, str, str | None]] = [
    ("label", "Note (from the input)", "text", None),
    ("step", "Step", "#", INTEGER),
    ("input_row", "Input row", "#", INTEGER),
    ("date", "Date", "date", DATE),
    ("prev", "Previous date", "date", DATE),
    ("value", "Value", "{unit}", MONEY),
    ("funding", "Funding by Japan", "{unit}", MONEY),
    ("cash", "Distributable cash", "{unit}", MONEY),
    ("exp", "Accrual exponent since previous row", "exponent", EXPONENT),
    ("open_p", "Opening principal", "{unit}", MONEY),
    ("open_a", "Opening accrued interest (simple)", "{unit}", MONEY),
    ("interest", "Deemed interest", "{unit}", MONEY),
    ("pre_p", "Principal before cash", "{unit}", MONEY),
    ("pre_a", "Accrued interest before cash", "{unit}", MONEY),
    ("owed", "Owed before cash (B)", "{unit}", MONEY),
    ("f_fund", "Funding row", "flag", FLAG),
    ("f_open", "Balance open (B > 0)", "flag", FLAG),
    ("f_before", "Before the threshold", "flag", FLAG),
    ("f_thr", "Threshold row", "flag", FLAG),
    ("f_after", "After the threshold", "flag", FLAG),
    ("after_cash", "Cash split at the after-shares", "{unit}", MONEY),
    ("japan", "Japan", "{unit}", MONEY),
    ("us", "US", "{unit}", MONEY),
    ("partner", "Partner", "{unit}", MONEY),
    ("paid_a", "Interest paid", "{unit}", MONEY),
    ("paid_p", "Principal paid", "{unit}", MONEY),
    ("close_p", "Closing principal", "{unit}", MONEY),
    ("close_a", "Closing accrued interest", "{unit}", MONEY),
    ("balance", "Balance (B after the row)", "{unit}", MONEY),
    ("tier", "Tier", "text", None),
    ("japan_flow", "Japan's net cash flow", "{unit}", MONEY),
    ("last_thr", "Last threshold date so far", "date", DATE_OR_DASH),
]
A = {key: get_column_letter(i + 1) for i, (key, *_rest) in enumerate(AUDIT_COLUMNS)}
PERIOD_COL = len(AUDIT_COLUMNS) + 2  # one blank column, then one column per rate period


# --- Audit ----------------------------------------------------------------------------------------


def _audit_row(row: int, periods: tuple[str, str], simple: str) -> dict[str, str]:
    """The formulas of one Audit row (the same in every row; ``row - 1`` is the row above)."""
    p = row - 1
    src = row - AUDIT_FIRST + FIRST  # the same cash flow's row on Inputs
    c = {key: f"{col}{row}" for key, col in A.items()}
    up = {key: f"{col}{p}" for key, col in A.items()}
    first_period, last_period = periods
    return {
        "step": f"={up['step']}+1",
        "input_row": f"=Inputs!A{src}",
        "date": f"=Inputs!B{src}",
        "prev": f"={up['date']}",
        "value": f"=Inputs!C{src}",
        "funding": f"=MAX(-{c['value']},0)",
        "cash": f"=MAX({c['value']},0)",
        "exp": f"=SUM({first_period}{row}:{last_period}{row})",
        "open_p": f"={up['close_p']}",
        "open_a": f"={up['close_a']}",
        "interest": f"={c['open_p']}*(EXP({c['exp']})-1)*(1-{simple})+{c['open_p']}*{c['exp']}*{simple}",
        "pre_p": f"={c['open_p']}+{c['interest']}*(1-{simple})",
        "pre_a": f"={c['open_a']}+{c['interest']}*{simple}",
        "owed": f"={c['pre_p']}+{c['pre_a']}",
        "f_fund": f"=--({c['value']}<0)",
        "f_open": f"=--({c['owed']}>0)",
        "f_before": f"=(1-{c['f_fund']})*{c['f_open']}*(japan_share_before*{c['cash']}<{c['owed']})",
        "f_thr": f"=(1-{c['f_fund']})*{c['f_open']}-{c['f_before']}",
        "f_after": f"=(1-{c['f_fund']})*(1-{c['f_open']})",
        "after_cash": f"={c['f_thr']}*MAX({c['cash']}-{c['owed']}/japan_share_before,0)"
        f"+{c['f_after']}*{c['cash']}",
        "japan": f"={c['f_before']}*japan_share_before*{c['cash']}+{c['f_thr']}*{c['owed']}"
        f"+japan_share_after*{c['after_cash']}",
        "us": f"={c['cash']}-{c['japan']}",
        "partner": f"=partner_share*{c['japan']}",
        "paid_a": f"={c['f_before']}*MIN({c['japan']},{c['pre_a']})+{c['f_thr']}*{c['pre_a']}",
        "paid_p": f"={c['f_before']}*({c['japan']}-{c['paid_a']})+{c['f_thr']}*{c['pre_p']}",
        "close_p": f"={c['pre_p']}+{c['funding']}-{c['paid_p']}",
        "close_a": f"={c['pre_a']}-{c['paid_a']}",
        "balance": f"={c['close_p']}+{c['close_a']}",
        "tier": f"=CHOOSE(1+{c['f_before']}+2*{c['f_thr']}+3*{c['f_after']},"
        '"funding","before","threshold","after")',
        "japan_flow": f"={c['japan']}-{c['funding']}",
        "last_thr": f"=MAX({up['last_thr']},{c['f_thr']}*{c['date']})",
    }


def audit_sheet(r: Report) -> None:
    """The Audit sheet: a row of formulas per cash flow, the conventions and results, the rate periods."""
    ws = r.wb.create_sheet("Audit")
    n, first, last = r.n, AUDIT_FIRST, r.audit_last
    scalars_top = last + 3  # the conventions, flags and results block, below the rows
    labels_scalars = _audit_scalar_labels(r)
    periods_top = scalars_top + 1 + len(labels_scalars) + 2
    k = r.n_periods
    first_period = get_column_letter(PERIOD_COL)
    last_period = get_column_letter(PERIOD_COL + k - 1)
    rows_of = {key: scalars_top + 1 + i for i, (key, *_rest) in enumerate(labels_scalars)}
    s = {key: SCALAR_NAMES.get(key, f"$C${row}") for key, row in rows_of.items()}
    scalar_cells = {key: f"$C${row}" for key, row in rows_of.items()}
    p_rows = {key: periods_top + 1 + i for i, key in enumerate(("period", "starts", "ends", "rate", "g"))}

    write_title(
        ws,
        "Audit: the waterfall as native formulas",
        "The cumulative reading recomputed from Inputs and Terms, one row per cash flow in date order "
        "(no add-in). Flags (1/0) choose each row's rule. Conventions, flags and results: row "
        f"{scalars_top}; rate periods: row {periods_top}.",
    )
    row_table_header(ws, AUDIT_COLUMNS, r.unit)
    for j in range(k):
        col = PERIOD_COL + j
        ws.cell(row=UNITS_ROW, column=col, value="exponent").font = NOTE_FONT
    write_header(ws, HEADER_ROW, [f"Accrual in rate period {j + 1}" for j in range(k)], col=PERIOD_COL)

    # Opening row: nothing owed before the first cash flow.
    opening = AUDIT_OPENING
    write_text(ws, opening, 1, "Opening (before the first cash flow)")
    ws.cell(row=opening, column=2, value=0).number_format = INTEGER
    ws[f"{A['date']}{opening}"] = f"={s['first_date']}"
    ws[f"{A['date']}{opening}"].number_format = DATE
    for key in ("close_p", "close_a", "balance", "last_thr"):
        ws[f"{A[key]}{opening}"] = 0
    ws[f"{A['last_thr']}{opening}"].number_format = DATE_OR_DASH

    # The rows: streamed when the workbook is saved (see xlspv.workbooks.streamed).
    keys = [key for key, *_rest in AUDIT_COLUMNS]
    columns: list[Column | None] = [
        Column("s" if key == "label" else "f", fmt) for key, _h, _u, fmt in AUDIT_COLUMNS
    ]
    columns += [None] + [Column("f", EXPONENT)] * k
    period_cols = [get_column_letter(PERIOD_COL + j) for j in range(k)]
    notes, simple, periods = r.notes, s["simple"], (first_period, last_period)
    per_day, thirty = s["per_day"], s["thirty"]
    starts, ends, g = p_rows["starts"], p_rows["ends"], p_rows["g"]
    prev_col, date_col = A["prev"], A["date"]

    def audit_row(i: int) -> list[str | None]:
        row = first + i
        formulas = _audit_row(row, periods, simple)
        cells: list[str | None] = [notes[i], *(formulas[key] for key in keys[1:]), None]
        for col in period_cols:
            start = f"MAX(${prev_col}{row},{col}${starts})"
            end = f"MIN(${date_col}{row},{col}${ends})"
            cells.append(
                f"=({end}>{start})*{col}${g}*(({end}-{start})*{per_day}"
                f"+{thirty}*DAYS360({start},{end},FALSE)/360)"
            )
        return cells

    r.wb.stream_rows(ws, first, n, columns, audit_row)

    # Conventions, flags and results.
    rng = {key: f"${col}${first}:${col}${last}" for key, col in A.items()}
    formulas = _audit_scalar_formulas(r, s, rng, p_rows, first_period, last_period)
    ws.cell(row=scalars_top - 1, column=1, value="Conventions, flags and results").font = SUBTITLE_FONT
    write_header(ws, scalars_top, ["Item", "Unit", "Value"])
    for key, label, unit, fmt in labels_scalars:
        row = rows_of[key]
        write_text(ws, row, 1, label)
        write_text(ws, row, 2, unit_text(unit, r.unit))
        cell = ws.cell(row=row, column=3, value=formulas[key])
        cell.number_format = fmt
        r.refs[f"audit_{key}"] = abs_ref("Audit", scalar_cells[key])
        if key in SCALAR_NAMES:
            define(r.wb, SCALAR_NAMES[key], "Audit", scalar_cells[key])

    # Rate periods: one column each, above nothing but their own rows' accruals.
    ws.cell(
        row=periods_top - 1, column=1, value=f"Rate periods (one column each, from column {first_period})"
    ).font = SUBTITLE_FONT
    write_header(ws, periods_top, ["Item", "Unit"])
    period_rows = [
        ("period", "Rate period", "#", INTEGER),
        ("starts", "Starts (rate in force from)", "date", DATE),
        ("ends", "Ends (next period's start, or the last cash-flow date)", "date", DATE),
        ("rate", "Deemed rate", "% a year", PERCENT),
        ("g", "Accrual exponent a year (m ln(1 + r/m); r when continuous or simple)", "exponent", EXPONENT),
    ]
    flat = not isinstance(r.terms.deemed_rate, RateSchedule)
    for key, label, unit, _fmt in period_rows:
        write_text(ws, p_rows[key], 1, label)
        write_text(ws, p_rows[key], 2, unit)
    for j in range(k):
        col = get_column_letter(PERIOD_COL + j)
        nxt = get_column_letter(PERIOD_COL + j + 1)
        prev = get_column_letter(PERIOD_COL + j - 1)
        pr = p_rows
        cells = {
            "period": "=1" if j == 0 else f"={prev}{pr['period']}+1",
            "starts": f"={s['first_date']}" if flat else f"=INDEX(rate_dates,{col}{pr['period']})",
            "ends": f"=IF(ISNUMBER({nxt}{pr['starts']}),{nxt}{pr['starts']},{s['last_date']})",
            # a guarantee fee is added to the deemed rate (docs/waterfall.md, "Guarantee fee")
            "rate": ("=deemed_rate" if flat else f"=INDEX(rate_values,{col}{pr['period']})")
            + ("+guarantee_fee" if r.terms.guarantee_fee else ""),
            "g": f"=IF({s['m']}>0,{s['m']}*LN(1+{col}{pr['rate']}/{s['m']}),{col}{pr['rate']})",
        }
        for key, _label, _unit, fmt in period_rows:
            cell = ws[f"{col}{pr[key]}"]
            cell.value = cells[key]
            cell.number_format = fmt
    rates = f"${first_period}${p_rows['rate']}:${last_period}${p_rows['rate']}"
    r.refs["audit_rates"] = abs_ref("Audit", rates)
    r.refs["audit_first"] = str(first)
    r.refs["audit_last"] = str(last)

    widths = {A["label"]: 34}
    for key, col in A.items():
        if key != "label":
            widths[col] = 12
    for j in range(k):
        widths[get_column_letter(PERIOD_COL + j)] = 14
    set_widths(ws, widths)
    ws.freeze_panes = f"{A['prev']}{AUDIT_OPENING}"
    last_col = get_column_letter(PERIOD_COL + k - 1)
    print_setup(ws, title_rows=f"{UNITS_ROW}:{HEADER_ROW}", area=f"A1:{last_col}{p_rows['g']}")


#: Audit scalars that formulas use by name (defined names on the Audit sheet's value cells).
SCALAR_NAMES = {
    "per_day": "actual_day_fraction",
    "thirty": "thirty_360",
    "m": "periods_a_year",
    "simple": "simple_interest",
    "first_date": "first_date",
    "last_date": "last_date",
}


def _audit_scalar_labels(r: Report) -> list[tuple[str, str, str, str]]:
    return [
        (
            "per_day",
            "Year fraction per actual day (ACT/365F: 1/365; ACT/360: 1/360; 30/360: 0)",
            "1/day",
            "0.000000000",
        ),
        ("thirty", "30/360 in use (DAYS360 US method, / 360)", "flag", FLAG),
        ("day_count_ok", "Day count recognised", "flag", FLAG),
        ("m", "Compounding periods a year (0: continuous or simple)", "#/year", INTEGER),
        ("simple", "Simple interest (tracked apart from principal, paid first)", "flag", FLAG),
        ("compounding_ok", "Compounding recognised", "flag", FLAG),
        ("first_date", "First cash-flow date", "date", DATE),
        ("last_date", "Last cash-flow date", "date", DATE),
        ("sorted", "Inputs in date order", "flag", FLAG),
        ("threshold", "Threshold date (#N/A: not reached)", "date", DATE),
        ("unrecovered", "Unrecovered deemed allocation (last balance)", "{unit}", MONEY),
        ("after_cash", "Cash split at the after-shares (total)", "{unit}", MONEY),
        ("cash", "Distributable cash (total)", "{unit}", MONEY),
        ("xirr_japan", "Japan's XIRR over this sheet's flows (#NUM!: none)", "%", PERCENT),
        ("flat", "Flat deemed rate (every rate period's rate equal)", "flag", FLAG),
        (
            "tie",
            "The spec's tie applies (ACT/365F, annual, flat rate, threshold on the last date, "
            "nothing split after)",
            "flag",
            FLAG,
        ),
    ]


def _audit_scalar_formulas(
    r: Report, s: dict[str, str], rng: dict[str, str], p_rows: dict[str, int], first_p: str, last_p: str
) -> dict[str, str]:
    dates = r.refs["in_date"].split("!")[1]
    if r.n > 1:
        earlier = f"Inputs!$B${FIRST + 1}:$B${r.last}"
        later = f"Inputs!$B${FIRST}:$B${r.last - 1}"
        sorted_formula = f"=--(SUMPRODUCT(--({earlier}<{later}))=0)"
    else:
        sorted_formula = f"=--(COUNT(Inputs!{dates})=1)"
    last = r.audit_last
    return {
        "per_day": '=(day_count="ACT/365F")/365+(day_count="ACT/360")/360',
        "thirty": '=--(day_count="30/360")',
        "day_count_ok": '=--((day_count="ACT/365F")+(day_count="ACT/360")+(day_count="30/360")=1)',
        "m": '=(compounding="annual")*1+(compounding="semiannual")*2+(compounding="quarterly")*4'
        '+(compounding="monthly")*12',
        "simple": '=--(compounding="simple")',
        "compounding_ok": f'=--(({s["m"]}>0)+(compounding="continuous")+(compounding="simple")=1)',
        "first_date": f"=MIN(Inputs!{dates})",
        "last_date": f"=MAX(Inputs!{dates})",
        "sorted": sorted_formula,
        "threshold": f"=IF(AND({A['balance']}{last}=0,{A['last_thr']}{last}>0),{A['last_thr']}{last},NA())",
        "unrecovered": f"={A['balance']}{last}",
        "after_cash": f"=SUM({rng['after_cash']})",
        "cash": f"=SUM({rng['cash']})",
        "xirr_japan": f"=XIRR({rng['japan_flow']},{rng['date']})",
        "flat": f"=--(MAX(${first_p}${p_rows['rate']}:${last_p}${p_rows['rate']})"
        f"=MIN(${first_p}${p_rows['rate']}:${last_p}${p_rows['rate']}))",
        "tie": f'=(day_count="ACT/365F")*({s["m"]}=1)*{s["flat"]}'
        f"*IFERROR(--({s['threshold']}={s['last_date']}),0)"
        f"*({s['after_cash']}<=tolerance*(1+{s['cash']}))",
    }
