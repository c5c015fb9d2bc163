"""Workbook writers and readers (openpyxl); they call the core, never re-implement it."""
