"""Bad ledger input gets a clear error that names the problem (issue 16 section 4)."""

from __future__ import annotations

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (LedgerError, TransferRequest,
                                                                              open_ledger)


@pytest.mark.parametrize('url', ['sqlite:///tmp/led\x00ger.sqlite3', 'postgresql://u:secret@db/tscal\x00'])
def test_a_nul_byte_in_the_url_is_refused_cleanly(url):
    with pytest.raises(LedgerError) as info:
        open_ledger(url)
    message = str(info.value)
    assert 'contains a NUL character' in message
    assert 'embedded null byte' not in message and '\x00' not in message and 'secret' not in message


@pytest.mark.parametrize('blank', ['   ', '\t', ' \n '])
def test_a_blank_reissue_reference_is_refused(blank):
    with pytest.raises(LedgerError, match='reissue_reference is blank'):
        TransferRequest(cal_id='S/1', source_host='a', target_host='b', reissue_reference=blank)


def test_a_blank_reference_cannot_cover_a_second_transfer(tmp_path):
    with open_ledger('sqlite://%s/l.sqlite3' % tmp_path) as ledger:
        ledger.record_transfer(TransferRequest(cal_id='S/1', source_host='a', target_host='b'))
        with pytest.raises(LedgerError, match='blank'):
            ledger.record_transfer(TransferRequest(cal_id='S/1', source_host='b', target_host='c',
                                                   reissue_reference='   '))
        assert len(ledger.transfers()) == 1


def test_record_event_appends_to_the_log(tmp_path):
    url = 'sqlite://%s/l.sqlite3' % tmp_path
    with open_ledger(url, dry_run=True) as ledger:
        assert ledger.record_event('restore_override', {'a': 1}, host='pc1').changed is False
    with open_ledger(url) as ledger:
        assert ledger.record_event('restore_override', {'a': 1}, host='pc1', operator='me').changed is True
        (event,) = ledger.events()
    assert (event['kind'], event['host'], event['operator'], event['detail']) == ('restore_override', 'pc1', 'me',
                                                                                  '{"a": 1}')
    with open_ledger(url) as ledger, pytest.raises(LedgerError, match='NUL'):
        ledger.record_event('restore_override', {}, host='p\x00c')
