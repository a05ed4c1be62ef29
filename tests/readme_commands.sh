#!/usr/bin/env bash
# The README's quick start, `make book` and `make test`, in both orders, each in a
# fresh clone of this repository's HEAD in a temporary folder. To keep it short it
# reuses this checkout's .venv (no reinstall) and builds chapter 1 only
# (D2LHELPER_CHAPTERS); the unit tests are the fast format checks. What it tests is
# the interplay of the two commands: the cache of executions, the book build and
# the browser test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
[ -x "$venv/bin/python" ] || { echo "test-readme: $venv is missing; run make test first" >&2; exit 1; }
export D2LHELPER_CHAPTERS="${D2LHELPER_CHAPTERS:-01_tensors}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run_order() {
  local name="$1"; shift
  local clone="$tmp/$name"
  git clone -q "$root" "$clone"
  ln -s "$venv" "$clone/.venv"
  # The clone's files are newer than the venv's install stamp; mark them older so
  # make does not reinstall into the shared .venv (which would repoint its
  # editable install at the clone).
  touch -d "2000-01-01" "$clone/requirements.txt" "$clone/pyproject.toml"
  for target in "$@"; do
    echo "test-readme [$name]: make $target"
    local start=$SECONDS
    # The clone's package comes first on the path, for pytest and for notebook kernels.
    (cd "$clone" && PYTHONPATH="$clone" make "$target" TESTS=tests/test_notebooks.py) > "$tmp/$name-$target.log" 2>&1 || {
      echo "test-readme [$name]: make $target FAILED; its last lines:" >&2
      tail -40 "$tmp/$name-$target.log" >&2
      exit 1
    }
    echo "test-readme [$name]: make $target passed in $((SECONDS - start)) s"
  done
  if grep -q "NOT tested in a browser" "$tmp/$name-test.log"; then
    echo "test-readme [$name]: the browser tests were skipped (no Chromium)"
  fi
}

run_order book-then-test book test
run_order test-then-book test book
echo "test-readme: both orders passed (chapters: $D2LHELPER_CHAPTERS)"
