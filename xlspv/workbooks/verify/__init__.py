"""The file side of ``xlspv verify``: read a workbook's saved cells and formulas, write a copy's values.

- :mod:`.book`: the package, within size limits; each sheet's XML scanned once for its values and
  formulas; defined names and tables (:func:`~.book.read_book`).
- :mod:`.forms`: how each Excel runtime stores a call of xlspv's functions.
- :mod:`.formulas`: the calls found in the formulas and their arguments resolved to areas, names,
  structured references and literals (:func:`~.formulas.find_calls`, :func:`~.formulas.resolve`).
- :mod:`.patch`: a copy whose changed cells' saved values are replaced, every other part byte for byte.

Computing each call and comparing it with the saved value is the Excel adapter's part
(:mod:`xlspv.excel.verify`): it calls ``udfs.py``'s functions as Excel does. Nothing here imports them.
"""
