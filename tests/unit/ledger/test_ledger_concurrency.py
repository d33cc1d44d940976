"""Many processes writing at once, on both backends: nothing lost, nothing doubled, one winner per CAL."""

from __future__ import annotations

import multiprocessing
import typing as t

import pytest

from ansible_collections.tslicensing.cal.plugins.plugin_utils._ledger import (
    Ledger, TransferRefused, TransferRequest, open_ledger)

pytestmark = pytest.mark.slow
# fork: the children need nothing but the URL, and start in milliseconds (50 spawned interpreters would not).
_CONTEXT = multiprocessing.get_context('fork')


def _run_processes(target: t.Callable[..., None], argument_lists: list[tuple[t.Any, ...]]) -> list[str]:
    """Start one process per argument list, released together by a barrier; their reports."""
    barrier = _CONTEXT.Barrier(len(argument_lists))
    reports = _CONTEXT.Queue()
    processes = [_CONTEXT.Process(target=target, args=args + (barrier, reports)) for args in argument_lists]
    for process in processes:
        process.start()
    results = [reports.get(timeout=120) for _process in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return results


def _record_distinct(url: str, worker: int, count: int, barrier: t.Any, reports: t.Any) -> None:
    try:
        with open_ledger(url) as ledger:
            barrier.wait(timeout=60)
            changed = [ledger.record_transfer(TransferRequest('CAL-%d-%d' % (worker, n), 'src-%d' % worker,
                                                              'dst-%d-%d' % (worker, n))).changed
                       for n in range(count)]
        reports.put('ok' if all(changed) else 'unchanged?')
    except Exception as exc:  # reported to the parent, which asserts on it
        reports.put('error: %r' % exc)


def _record_same_cal(url: str, target: str, reference: str | None, barrier: t.Any, reports: t.Any) -> None:
    try:
        with open_ledger(url) as ledger:
            barrier.wait(timeout=60)
            ledger.record_transfer(TransferRequest('CONTESTED', 'origin', target, reissue_reference=reference))
        reports.put('won')
    except TransferRefused:
        reports.put('refused')
    except Exception as exc:
        reports.put('error: %r' % exc)


def _open_new_ledger_and_record(url: str, worker: int, barrier: t.Any, reports: t.Any) -> None:
    try:
        barrier.wait(timeout=60)
        with open_ledger(url) as ledger:
            ledger.record_transfer(TransferRequest('CAL-%d' % worker, 'src-%d' % worker, 'dst-%d' % worker))
        reports.put('ok')
    except Exception as exc:  # reported to the parent, which asserts on it
        reports.put('error: %r' % exc)


@pytest.mark.parametrize('attempt', range(5))
def test_forks_opening_a_new_ledger_together_all_succeed(ledger_url: str, attempt: int) -> None:
    # The forks of one play meeting a ledger that does not exist yet (found failing on SQLite: switching the
    # new file to WAL answered "database is locked" at once to all but one of them).
    del attempt  # only repeats the race
    reports = _run_processes(_open_new_ledger_and_record, [(ledger_url, worker) for worker in range(8)])
    assert reports == ['ok'] * 8
    with open_ledger(ledger_url) as ledger:
        assert sorted(row['cal_id'] for row in ledger.transfers()) == ['CAL-%d' % n for n in range(8)]


def test_fifty_writers_record_every_transfer_once(ledger_url: str, ledger: Ledger) -> None:
    writers, each = 50, 4
    reports = _run_processes(_record_distinct, [(ledger_url, worker, each) for worker in range(writers)])
    assert reports == ['ok'] * writers
    cals = [row['cal_id'] for row in ledger.transfers()]
    assert len(cals) == writers * each
    assert set(cals) == {'CAL-%d-%d' % (w, n) for w in range(writers) for n in range(each)}
    assert len(ledger.events()) == writers * each


@pytest.mark.parametrize('contenders', [2, 12])
def test_concurrent_transfers_of_one_cal_have_exactly_one_winner(
        ledger_url: str, ledger: Ledger, contenders: int) -> None:
    reports = _run_processes(_record_same_cal, [(ledger_url, 'target-%d' % n, None) for n in range(contenders)])
    assert sorted(reports) == ['refused'] * (contenders - 1) + ['won']
    [winner] = ledger.transfers(cal_id='CONTESTED')
    assert winner['target_host'] in {'target-%d' % n for n in range(contenders)}


def test_concurrent_reissued_transfers_all_land(ledger_url: str, ledger: Ledger) -> None:
    """Each holds its own Clearinghouse reference, so each may move the CAL; losers of the race for the
    next sequence number retry rather than fail."""
    ledger.record_transfer(TransferRequest('CONTESTED', 'first', 'origin'))
    reports = _run_processes(_record_same_cal, [(ledger_url, 'target-%d' % n, 'CH-%d' % n) for n in range(8)])
    assert reports == ['won'] * 8
    assert sorted(r['sequence'] for r in ledger.transfers(cal_id='CONTESTED')) == list(range(1, 10))


def test_fifty_writers_with_distinct_reissue_references_all_land(ledger_url: str, ledger: Ledger) -> None:
    # 16 §5: on PostgreSQL 22 of 50 failed with a raw "duplicate key value violates unique constraint
    # transfers_cal_sequence" (each computed the same next sequence). The CAL's writers are serialised now.
    reports = _run_processes(_record_same_cal, [(ledger_url, 'target-%d' % n, 'CH-%d' % n) for n in range(50)])
    assert reports == ['won'] * 50
    assert sorted(r['sequence'] for r in ledger.transfers(cal_id='CONTESTED')) == list(range(1, 51))


def test_fifty_intents_for_one_target_have_one_winner_and_clear_refusals(ledger_url: str, ledger: Ledger) -> None:
    reports = _run_processes(_record_target_contender, [(ledger_url, n) for n in range(50)])
    assert reports.count('won') == 1
    refusals = [r for r in reports if r != 'won']
    assert len(refusals) == 49
    assert all(r.startswith('refused: the target pc-busy already receives CAL ') for r in refusals), refusals[:3]
    assert len(ledger.transfers()) == 1


def _record_target_contender(url: str, worker: int, barrier: t.Any, reports: t.Any) -> None:
    try:
        with open_ledger(url) as ledger:
            barrier.wait(timeout=60)
            ledger.record_intent(TransferRequest('CAL-%d' % worker, 'src-%d' % worker, 'pc-busy'))
        reports.put('won')
    except TransferRefused as exc:
        reports.put('refused: %s' % exc)
    except Exception as exc:
        reports.put('error: %r' % exc)
