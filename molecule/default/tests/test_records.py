"""What the transfer left on the controller: the ledger entry and the license server's state."""

from __future__ import annotations

import hashlib

import yaml

from ansible_collections.tslicensing.cal.plugins.plugin_utils import _regfile
from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import open_ledger

from _lab import seeded_store

ACTIVE, REVOKED = 2, 4  # Win32_TSIssuedLicense.LicenseStatus


def test_ledger_holds_the_transfer_revoked_on_the_server(lab):
    with open_ledger('sqlite:///%s' % (lab / 'ledger.sqlite3')) as ledger:
        transfers = ledger.transfers()
        events = ledger.events()
    assert len(transfers) == 1, transfers
    [transfer] = transfers
    assert (transfer['source_host'], transfer['target_host'], transfer['state']) == ('src01', 'tgt01', 'server_revoked')
    assert transfer['reason'] == 'molecule default scenario - hardware replaced'
    # the permanent-license seed is issued by LICSRV01; the CAL is named by its server and serial
    assert transfer['license_server'] == 'LICSRV01'
    assert transfer['cal_id'] == 'LICSRV01/%s' % transfer['license_serial']
    [backup_path] = (lab / 'backups' / 'src01').glob('*.reg')
    assert transfer['backup_path'] == str(backup_path)
    assert transfer['backup_sha256'] == hashlib.sha256(backup_path.read_bytes()).hexdigest()
    seeded = _regfile.tree(_regfile.parse_reg(seeded_store('src01', '64')))
    [hwid] = [values['ClientHWID'][1] for key, values in seeded.items() if key.lower().endswith('\\hardwareid')]
    assert transfer['source_hardware_id'] == hwid.hex()
    # the intent recorded once, moved on to source_cleared, then to server_revoked: neither the check run nor
    # the idempotence run wrote anything
    assert [event['kind'] for event in events] == ['transfer_intent_recorded', 'transfer_marked', 'transfer_marked']


def test_license_server_revoked_exactly_the_source_cal(lab):
    state = yaml.safe_load((lab / 'license-server-wmi.yml').read_text())
    statuses = {cal['sIssuedToComputer']: cal['LicenseStatus'] for cal in state['classes']['Win32_TSIssuedLicense']}
    # the look-alike name (SRC010) and the bystander keep their CALs
    assert statuses == {'SRC01': REVOKED, 'SRC010': ACTIVE, 'BY01': ACTIVE}
    # one Revoke() out of the allowance of 5: the check run only planned it, the idempotence run did nothing
    assert state['methods']['Win32_TSIssuedLicense.Revoke']['RevokableCals'] == 4
