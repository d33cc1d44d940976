#!/usr/bin/env bash
# Set everything up (idempotent), then run every test: unit, lab contract and integration tests (real
# ansible-playbook runs on Wine lab fleets), the ledger suite on SQLite and a throwaway PostgreSQL, and the
# collection build check. Extra arguments go to pytest (e.g. -k restore, -x).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/scripts/setup.sh"
. "$repo/scripts/env.sh"
cd "$repo"
exec python -m pytest -p no:cacheprovider "$@"
