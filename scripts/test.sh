#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, starts the private
# PulseAudio daemon, then lint, type-check, import contracts and pytest. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-test-tools
# shellcheck source=/dev/null
. scripts/start-pulse.sh
unset NO_COLOR
echo "== ruff";  .venv/bin/ruff check voicechat tests bench scripts
echo "== mypy --strict (core, protocol)"; .venv/bin/mypy
echo "== import contracts (pyproject.toml [tool.importlinter])"; .venv/bin/lint-imports
echo "== pytest"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "test: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$code"
