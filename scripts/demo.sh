#!/usr/bin/env bash
# Set everything up on a fresh Debian machine, then run the main job on a three-client Wine lab fleet:
# query the client license stores -> back up and remove them (reset_license_store.yml) -> query again ->
# restore them from the verified backups -> query again. Backups stay in .lab/demo/backups.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/scripts/setup.sh"
. "$repo/scripts/env.sh"

lab="$repo/.lab/demo"
fleet() { python "$repo/tests/lab/fleet.py" "$@"; }
fleet destroy --lab-dir "$lab/fleet" >/dev/null
trap 'fleet destroy --lab-dir "$lab/fleet" >/dev/null' EXIT
fleet create --lab-dir "$lab/fleet" --hosts 3 --inventory "$lab/inventory.yml"

# The lab's stand-ins for ansible.windows and its connection come first on the collections path.
export ANSIBLE_CONFIG="$repo/tests/lab/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$repo/tests/lab/collections:$repo/.venv/collections"
export TSCAL_BACKUP_DIR="$lab/backups"
play() { echo; echo "=== $*"; ansible-playbook -i "$lab/inventory.yml" "$@"; }

cd "$repo"
play playbooks/query_license_store.yml
play playbooks/reset_license_store.yml --check --diff
play playbooks/reset_license_store.yml
play playbooks/reset_license_store.yml      # second run: nothing to do
play playbooks/query_license_store.yml
play playbooks/restore.yml
play playbooks/query_license_store.yml
echo
echo "=== backups written (mode 0600):"
find "$lab/backups" -type f -name '*.reg' -printf '%m %s %p\n' | sort
