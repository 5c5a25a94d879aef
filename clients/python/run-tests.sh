#!/usr/bin/env bash
# Installs the stepstream Python package into a virtualenv, with its test
# dependencies, and runs its pytest suite. Called by CI; exits 0 when every
# test passed or was skipped.
#
# The integration tests start the real server (services/cli/dist/index.js);
# they are skipped, with the reason printed, when it has not been built
# (`npm ci && npm run build` at the repository root).
#
#   PYTHON=python3.9 clients/python/run-tests.sh      # another interpreter
#   clients/python/run-tests.sh -k pipeline           # extra pytest arguments
#   STEPSTREAM_FRAMEWORK_TESTS=1 clients/python/run-tests.sh   # with the framework suites
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
venv="${STEPSTREAM_PY_VENV:-$here/.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# --system-site-packages: reuse a pytest the machine already has
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install --quiet "$here[test]"
# The framework suites (tests/frameworks) need the real frameworks from PyPI:
# large (torch is ~3 GB), so only when asked for.
if [ "${STEPSTREAM_FRAMEWORK_TESTS:-}" = "1" ]; then
  "$venv/bin/python" -m pip install --quiet -r "$here/requirements-frameworks.txt"
fi

if [ ! -f "$here/../../services/cli/dist/index.js" ]; then
  echo "note: services/cli/dist/index.js is missing, integration tests will be skipped (run npm run build first)"
fi

cd "$here"
# -p no:cacheprovider: leave no .pytest_cache behind in the work tree
exec "$venv/bin/python" -m pytest -p no:cacheprovider -rs "$@" tests
