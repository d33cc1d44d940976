"""tscal-decode through a real subprocess: output, JSON and exit codes."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

import license_factory as lf

REPO = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = REPO / 'scripts' / 'bin' / 'tscal-decode'
VENV_PYTHON = REPO / '.venv' / 'bin' / 'python'
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else sys.executable)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False)


def test_script_is_executable_with_env_shebang():
    assert SCRIPT.stat().st_mode & 0o111
    assert SCRIPT.read_text().startswith('#!/usr/bin/env python3\n')


def test_real_blob_summary(license_fixtures):
    proc = run(str(license_fixtures / 'pbLicenseInfo_msrdpele.p7b'), '--now', '2007-07-01T00:00:00Z')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for expected in ('Issued to machine:        RODENT', 'Issued to user:           Administrator',
                     'License ID:               A02-6.00-S (requested A02)',
                     'Licensed Product Version: 0006.0000, Flag 0x80648000',
                     'License type:             temporary', 'Expires on:               2007-09-18T14:51:35Z\n',
                     'Server ID:                78440-006-5867045-70347', 'Status: decoded'):
        assert expected in out


def test_expired_is_shown_against_now(license_fixtures):
    proc = run(str(license_fixtures / 'pbLicenseInfo_msrdpele.p7b'), '--now', '2008-01-01')
    assert '2007-09-18T14:51:35Z (expired)' in proc.stdout


def test_reg_export_json_is_stable_and_sorted(license_fixtures):
    args = (str(license_fixtures / 'mslicensing-wine-export.reg'), '--json', '--now', '2007-07-01T00:00:00Z')
    first, second = run(*args), run(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    result = json.loads(first.stdout)
    assert first.stdout == json.dumps(result, sort_keys=True, indent=2) + '\n'
    assert result['status'] == 'decoded'
    assert result['hardware_ids'][0]['decoded']['platform_id'] == '0x00000002'
    assert result['licenses'][0]['decoded']['licenses'][0]['issued_to_user'] == 'Administrator'


def test_partial_exit_code(license_fixtures):
    proc = run(str(license_fixtures / 'CERT_1_BUFFER.der'), '--json')
    assert proc.returncode == 1
    assert json.loads(proc.stdout)['status'] == 'partial'


def test_truncated_blob_is_partial(tmp_path, license_fixtures):
    blob = (license_fixtures / 'pbLicenseInfo_msrdpele.p7b').read_bytes()
    path = tmp_path / 'cut.bin'
    path.write_bytes(blob[:1200])
    proc = run(str(path))
    assert proc.returncode == 1
    assert 'Warning:' in proc.stdout and 'Status: partial' in proc.stdout


def test_garbage_is_exit_2(tmp_path):
    path = tmp_path / 'garbage.bin'
    path.write_bytes(b'\x00garbage' * 10)
    proc = run(str(path), '--json')
    assert proc.returncode == 2
    result = json.loads(proc.stdout)
    assert result['status'] == 'undecodable'
    assert result['preview_hex'].startswith('00676172')


def test_unreadable_file_is_exit_2_with_message(tmp_path):
    proc = run(str(tmp_path / 'missing.reg'))
    assert proc.returncode == 2
    assert proc.stdout == ''
    assert 'cannot read' in proc.stderr and 'missing.reg' in proc.stderr


def test_malformed_reg_is_exit_2_with_message(tmp_path):
    path = tmp_path / 'bad.reg'
    path.write_text('Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\r\n"x"=hex:zz\r\n')
    proc = run(str(path))
    assert proc.returncode == 2
    assert 'cannot read' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_bad_now_is_a_usage_error(license_fixtures):
    proc = run(str(license_fixtures / 'pbLicenseInfo_msrdpele.p7b'), '--now', 'yesterday')
    assert proc.returncode == 2
    assert 'not ISO 8601' in proc.stderr


def test_new_license_info_file(tmp_path):
    path = tmp_path / 'nli.bin'
    path.write_bytes(lf.new_license_info(lf.build_client_license([lf.LicenseSpec(user='carol')])))
    proc = run(str(path), '--now', '2024-04-01')
    assert proc.returncode == 0, proc.stdout
    assert 'NEW_LICENSE_INFO: version 10.0' in proc.stdout
    assert 'Issued to user:           carol' in proc.stdout
    assert 'License type:             permanent' in proc.stdout


@pytest.mark.parametrize('argv', [['--help']])
def test_help_mentions_exit_codes(argv):
    proc = run(*argv)
    assert proc.returncode == 0
    assert 'Exit status' in proc.stdout
