"""Renderers of core results into text, Markdown, JSON and JUnit (no rich, no textual).

One module per (result, format), e.g. `shift_markdown.py`, `check_junit.py`; the CLI picks one.
"""
