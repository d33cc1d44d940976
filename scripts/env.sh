# shellcheck shell=bash
# Source this file to use the checkout's venv and collection:  . scripts/env.sh
# The lab stand-ins (tests/lab/collections) are NOT on this path: real hosts get the real
# ansible.windows. The lab adds them itself (tests/lab/ansible.cfg).
_tscal_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TSCAL_REPO="$_tscal_repo"
export PATH="$_tscal_repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$_tscal_repo/.venv/collections"
unset _tscal_repo
