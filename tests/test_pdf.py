"""Every workbook xlspv writes exports to PDF with LibreOffice (issue 13: a committee member must be
able to print or export each). One ``soffice`` run, a fresh default profile (tests/libreoffice.py).

LibreOffice 7.4 could not export the portfolio report ("Unspecified Application Error"): its cap
flag's conditional format read the flag cell itself (``C10=TRUE``); the rules now test the flag's
condition.
"""

from __future__ import annotations

from pathlib import Path

import libreoffice
from openpyxl import load_workbook

from xlspv.examples import portfolio as example_portfolio
from xlspv.portfolio.analyse import analyse
from xlspv.workbooks.portfolio_report import write_portfolio_report
from xlspv.workbooks.reader import example_input
from xlspv.workbooks.report import write_report
from xlspv.workbooks.template import write_template


def test_every_workbook_exports_to_pdf(tmp_path: Path) -> None:
    libreoffice.soffice()
    spv = example_input()
    result = analyse(example_portfolio.portfolio(), readings=True, rates=[0.04, 0.055, 0.07])
    paths = [
        write_template(tmp_path / "template.xlsx"),
        write_report(spv, spv.terms(), tmp_path / "report.xlsx"),
        write_portfolio_report(result, tmp_path / "portfolio.xlsx"),
    ]
    pdfs = libreoffice.to_pdf(paths, tmp_path / "pdf")
    for pdf in pdfs:
        head = pdf.read_bytes()[:5]
        assert head == b"%PDF-", pdf.name
        assert pdf.stat().st_size > 10_000, pdf.name  # pages, not an empty shell


def test_the_cap_flag_rules_do_not_read_the_flag_cell(tmp_path: Path) -> None:
    result = analyse(example_portfolio.portfolio())
    ws = load_workbook(write_portfolio_report(result, tmp_path / "p.xlsx"))["Cap & deadline"]
    rules = [(str(cf.sqref), rule.formula) for cf in ws.conditional_formatting for rule in cf.rules]
    assert [cell for cell, _ in rules] == ["C10", "C10"]
    assert ws["C10"].value == "=C7<=C6"
    assert [formula for _, formula in rules] == [["C7<=C6"], ["NOT(C7<=C6)"]]
