"""Serving xlspv's Excel functions (``udfs.py``) to Excel: the xlwings Server app (:mod:`.server`)."""
