"""From critic scores to verdicts, statistics and gates.

resolve.py      the one rule: a case's verdict and deciding principle (priority + engagement)
scored.py       ScoredVersion: one version's scores under every judge, and its verdicts
scoring.py      which requests a set of cases needs, and scoring them once across versions
agreement.py    agreement metrics and seeded, vectorised bootstrap intervals
trust.py        agreement with gold and the trust level
evaluation.py   `cstudio eval`: per-principle summaries of one version
calibration.py  per-principle thresholds fitted on gold, with the identity they were fitted for
selection.py, shift_models.py, aggregate.py, shift.py   label shift between two versions
gate.py         the pre-merge check: who judges, stricter rules, gate results
judging.py      anchored demonstrations per principle, reported locales, a panel's disputed flips
"""
