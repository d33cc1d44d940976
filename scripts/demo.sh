#!/usr/bin/env bash
# Set everything up on a fresh Debian machine, then run the main job on a Wine lab fleet of six clients and
# an RD license server, with the embedded SQLite ledger:
#   audit the fleet -> plan the transfer of pc-042's CAL to pc-new (--check) -> transfer it (verified backup,
#   removal, revocation on the license server, ledger) -> run it again (nothing to do) -> a transfer that is
#   refused (pc-temp holds only a temporary license) -> pc-new gets its CAL -> audit again: the transfer is
#   completed, the report (HTML, JSON, CSV) shows it. Beside the Windows PCs, a Linux thin client (thin01, real
#   sshd on loopback, a user of its own) whose real xfreerdp and rdesktop got CALs from the lab's licensing
#   peer: the audits show it, and its licence files are backed up, removed and restored over SSH.
# Everything stays in .lab/demo: backups/, ledger.sqlite3, reports/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/scripts/setup.sh"
. "$repo/scripts/env.sh"

lab="$repo/.lab/demo"
fleet() { python "$repo/tests/lab/fleet.py" "$@"; }
fleet destroy --lab-dir "$lab/fleet" >/dev/null
rm -rf "$lab/backups" "$lab/reports" "$lab/ledger.sqlite3" "$lab/license-server.yml"
thin_pid=
cleanup() {
  [ -z "$thin_pid" ] || { kill "$thin_pid" 2>/dev/null; wait "$thin_pid" 2>/dev/null || true; }
  fleet destroy --lab-dir "$lab/fleet" >/dev/null
}
trap cleanup EXIT
fleet create --lab-dir "$lab/fleet" --spec "$repo/tests/lab/demo-fleet.yml" --inventory "$lab/inventory.yml"

# The Linux thin client: sshd on 127.0.0.1, user and sudo entry, Xvfb and the licensing peer; its xfreerdp and
# rdesktop connect once and store a CAL each. Runs until the demo ends (it removes what it made).
rm -rf "$lab/thin" "$lab/thin-ready"
python "$repo/tests/lab/thin_client_lab.py" serve --workdir "$lab/thin" --inventory "$lab/thin-clients.json" \
  --ready "$lab/thin-ready" --hosts thin01 &
thin_pid=$!
for _ in $(seq 600); do [ -e "$lab/thin-ready" ] && break; kill -0 "$thin_pid" || exit 1; sleep 0.1; done
[ -e "$lab/thin-ready" ] || { echo "the thin-client lab did not start" >&2; exit 1; }

# The lab's stand-ins for ansible.windows and its connection come first on the collections path; the license
# server's WMI answers come from a scenario file (the win_powershell contract double).
cp "$repo/tests/integration/license_server/scenarios/several_cals.yml" "$lab/license-server.yml"
export ANSIBLE_CONFIG="$repo/tests/lab/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$repo/tests/lab/collections:$repo/.venv/collections"
export TSCAL_WMI_SCENARIO="$lab/license-server.yml"
export TSCAL_BACKUP_DIR="$lab/backups" TSCAL_REPORT_DIR="$lab/reports"
export TSCAL_LEDGER_URL="sqlite:///$lab/ledger.sqlite3"
play() { echo; echo "=== ansible-playbook $*"; ansible-playbook -i "$lab/inventory.yml" -i "$lab/thin-clients.json" "$@"; }
transfer=(-e transfer_license_server_version=2019 -e transfer_license_server=licsrv -e transfer_revoke=true)

cd "$repo"
play playbooks/audit.yml -e audit_hosts='all:!licsrv'
play playbooks/transfer.yml --check -e transfer_source=pc-042 -e transfer_target=pc-new \
  -e 'transfer_reason="hardware replaced"' "${transfer[@]}"
play playbooks/transfer.yml -e transfer_source=pc-042 -e transfer_target=pc-new \
  -e 'transfer_reason="hardware replaced"' "${transfer[@]}"
play playbooks/transfer.yml -e transfer_source=pc-042 -e transfer_target=pc-new \
  -e 'transfer_reason="hardware replaced"' "${transfer[@]}"     # second run: nothing to do
play playbooks/transfer.yml -e transfer_source=pc-temp -e transfer_target=pc-new \
  -e 'transfer_reason="hardware replaced"' "${transfer[@]}" || echo "=== (refused, as it should be: exit code $?)"
play playbooks/reset_license_store.yml -e reset_license_store_hosts=thin01 -e reset_license_store_remove_permanent=true
play playbooks/restore.yml -e restore_hosts=thin01        # the thin client's exact files back (bytes, owner, mode)
echo; echo "=== pc-new connects to the terminal server and is issued its CAL"
fleet seed --lab-dir "$lab/fleet" --host pc-new --view 64 --store permanent-license
play playbooks/audit.yml -e audit_hosts='all:!licsrv'

echo
echo "=== the ledger's transfers:"
python - "$lab/ledger.sqlite3" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(
        'SELECT id, cal_id, source_host, target_host, state, completed_at FROM transfers ORDER BY id'):
    print('  #%s %s %s -> %s: %s %s' % (row[0], row[1], row[2], row[3], row[4], row[5] or ''))
PY
echo "=== backups and reports (mode 0600):"
find "$lab/backups" "$lab/reports" -type f -printf '  %m %6s %p\n' | sort
echo "=== open $lab/reports/tscal-audit.html in a browser"
