"""Datasets out: the critic's labels, RLAIF preference pairs and critique-revision data.

Every row carries its provenance (which constitution commit and version, which principle
wording, which judge). Verdicts, deciders and stability are read from
`core/analysis/` (scored.py, resolve.py, scoring.py); nothing here forms a verdict.
"""
