#!/usr/bin/env bash
# The Python package (python/): `pip install ./python` into a fresh virtual environment (.build/python-venv,
# recreated each run), then its pytest tests, which compile examples/synthetic-nli with $DEBERTAC (default:
# the debug build). The Ray example's test needs Ray in that environment: it is installed there unless
# DEBERTAC_SKIP_RAY=1, and skipped with its reason printed when it cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

export DEBERTAC="${DEBERTAC:-$(swift build --show-bin-path)/debertac}"
venv=.build/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet ./python pytest
if [ "${DEBERTAC_SKIP_RAY:-0}" != 1 ]; then
    "$venv/bin/pip" install --quiet "ray[data]" || echo "test_python: could not install ray[data]: the Ray test is skipped" >&2
fi
cd python   # pytest's rootdir (pyproject.toml); the package under test is the installed one
"../$venv/bin/python" -m pytest -rs tests
