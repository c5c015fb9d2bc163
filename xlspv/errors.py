"""Every error class xlspv raises on purpose, in one place: all are :class:`SpvError` (a ``ValueError``).

Every error is a ``ValueError`` subclass whose message names the argument, the row or the term that
is wrong and says how to fix it. The Excel adapter (``udfs.py``) maps them to Excel error values and
the command line maps them to one line and exit status 2; neither needs to parse the text.
"""

from __future__ import annotations


class SpvError(ValueError):
    """Base class of every input error xlspv raises on purpose."""


class SpvInputError(SpvError):
    """A cash-flow input (values or dates) cannot be used: lengths, texts, blanks, NaN, no dates."""


class AmbiguousNumberError(SpvInputError):
    """A number typed as text whose comma may be a decimal comma (``0,055``, ``1,500``): refused, never
    guessed; the message shows what to write instead (:func:`xlspv.cells.number_from_text`)."""


class TermsError(SpvError):
    """A term is missing, unknown, or has a value outside its allowed range."""


class RateScheduleError(TermsError):
    """A dated deemed-rate schedule is empty, has two rates on one date, or starts too late."""


class MacroWorkbookError(SpvInputError):
    """A macro-enabled workbook was given: xlspv never opens files that carry VBA."""


class OutputError(SpvError):
    """The output path cannot be written as asked (exists without --force, is the input, ...)."""


class DynamicArrayError(SpvError):
    """An anchor cannot be marked: unknown sheet, no array formula there, or not the top-left cell."""


class ServerError(SpvError):
    """``xlspv serve`` cannot start as asked: xlwings Server missing, no licence key, xlwings loaded."""


class RiskModelError(SpvError):
    """A risk-model parameter or a simulation setting (scenarios, seed, scheduler) cannot be used."""


class InputLimitError(SpvInputError):
    """An input is refused for what it is (not a regular file) or for how large it is or would become."""


class GridLimitError(SpvError):
    """A workbook to write would not fit Excel's grid (1,048,576 rows, 16,384 columns)."""


class UncheckedFormulaError(SpvError):
    """``xlspv verify`` does not evaluate a function cell's argument (an expression, another workbook):
    the call is reported as unchecked, which does not fail the check."""


class BrokenFormulaError(SpvError):
    """A function cell's formula refers to something the workbook does not have (a sheet, a name, a
    table, a range off the grid) or gives the wrong number of arguments: Excel shows #REF! or #NAME?."""


__all__ = [
    "AmbiguousNumberError",
    "BrokenFormulaError",
    "DynamicArrayError",
    "GridLimitError",
    "InputLimitError",
    "MacroWorkbookError",
    "OutputError",
    "RateScheduleError",
    "RiskModelError",
    "ServerError",
    "SpvError",
    "SpvInputError",
    "TermsError",
    "UncheckedFormulaError",
]
