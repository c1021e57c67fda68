"""The agencies' formats: routed submissions and a company's ledger as spreadsheets.

    sheets.py   pure: submissions / a company's ledger → named tables of cells (header + rows)
    files.py    tables → CSV bytes (UTF-8 with BOM, so Excel opens it) or .xlsx bytes (openpyxl)

Values are data: text that looks like a formula is never a formula — in .xlsx every text cell is a
string cell, and in CSV a text starting with = + - @ (or a tab or a carriage return) is prefixed with
an apostrophe, as OWASP recommends against CSV injection.
"""
