"""The built collection: ansible-galaxy builds it, and the tarball holds no test, lab or CI code."""

from __future__ import annotations

import pathlib
import subprocess
import tarfile

REPO = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_GALAXY = REPO / '.venv' / 'bin' / 'ansible-galaxy'


def test_build_ships_the_plugins_and_no_test_or_lab_code(tmp_path):
    proc = subprocess.run([str(ANSIBLE_GALAXY), 'collection', 'build', '--output-path', str(tmp_path), str(REPO)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarball = next(tmp_path.glob('tslicensing-cal-*.tar.gz'))
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert 'plugins/action/client_license.py' in names
    assert 'plugins/plugin_utils/_regfile.py' in names
    assert 'playbooks/reset_license_store.yml' in names
    assert 'MANIFEST.json' in names and 'meta/runtime.yml' in names
    forbidden = [name for name in names
                 if name.split('/')[0] in {'tests', 'molecule', 'scripts', 'benchmarks', '.ci', '.lab', '.venv', '.git'}
                 or '__pycache__' in name or 'lab.wine' in name or name.endswith('_lab_wine.py')]
    assert forbidden == []
