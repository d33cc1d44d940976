"""The Linux thin-client lab: real sshd on loopback, one Unix user per lab host (tests/lab/ssh_lab.py)."""

from __future__ import annotations

import os
import pwd
import pathlib
import shutil
import subprocess
import tempfile
import typing as t

import pytest

from harness import REPO, Run, lab_environment, playbook_argv
from ssh_lab import SshLab, SshLabError

# thin01: the login user only; thin02: a kiosk user beside the login user (become reads its home).
LAB_HOSTS = ('thin01', 'thin02', 'thin03')
LAB_EXTRA_USERS = {'thin02': ['kiosk']}


class LinuxLab:
    """The session's SSH lab, an inventory of it, and ansible-playbook runs against it."""

    def __init__(self, ssh: SshLab, workdir: pathlib.Path):
        self.ssh = ssh
        self.workdir = workdir
        self.inventory = ssh.write_inventory(workdir / 'inventory.json')
        self.control_dir = workdir / 'cp'
        self.control_dir.mkdir(exist_ok=True)

    def homes(self, host: str) -> dict[str, pathlib.Path]:
        return {name: pathlib.Path(os.path.expanduser('~' + name)) for name in self.ssh.unix_users(host)}

    def wipe_stores(self) -> None:
        """No licence file anywhere in the lab's homes (each test starts from there)."""
        for host in self.ssh.hosts:
            for home in self.homes(host).values():
                for relative in ('.config', '.local', '.rdesktop', 'xdg'):
                    shutil.rmtree(home / relative, ignore_errors=True)

    def playbook(self, playbook: str | os.PathLike[str], extra_vars: t.Mapping[str, t.Any] | None = None, *,
                 check: bool = False, diff: bool = False, limit: str | None = None,
                 inventory: pathlib.Path | None = None, env: t.Mapping[str, str] | None = None) -> Run:
        argv = playbook_argv(inventory or self.inventory, playbook, extra_vars, check, diff, limit)
        extra = {'ANSIBLE_STDOUT_CALLBACK': 'lab.wine.json_results',
                 'ANSIBLE_SSH_CONTROL_PATH_DIR': str(self.control_dir), **(env or {})}
        proc = subprocess.run(argv, cwd=REPO, env=lab_environment(extra), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=900, check=False)
        return Run(argv, proc.returncode, proc.stdout, proc.stderr)

    def seed(self, host: str, layout: str, data: bytes, *, extra: str | None = None, hostname: str | None = None,
             xdg_config_home: pathlib.Path | None = None, mode: int | None = None) -> pathlib.Path:
        owner = self.ssh.user(host, extra).pw_name
        return seed(self.homes(host)[owner], layout, hostname or host, data, owner=owner,
                    xdg_config_home=xdg_config_home, mode=mode)

    def write_playbook(self, name: str, text: str) -> pathlib.Path:
        path = self.workdir / name
        path.write_text(text)
        return path


@pytest.fixture(scope='session')
def ssh_lab() -> t.Iterator[SshLab]:
    # Not under pytest's tmp folder: that is 0700 root's, and sshd reads authorized_keys as each user.
    workdir = pathlib.Path(tempfile.mkdtemp(prefix='tscal-sshlab-'))
    lab = SshLab(workdir, LAB_HOSTS, extra_users=LAB_EXTRA_USERS)
    try:
        lab.start()
    except SshLabError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail('the SSH lab cannot start: %s' % exc)
    try:
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def linux_lab(ssh_lab: SshLab, tmp_path: pathlib.Path) -> LinuxLab:
    lab = LinuxLab(ssh_lab, tmp_path)
    lab.wipe_stores()
    return lab


def seed(home: pathlib.Path, layout: str, hostname: str, data: bytes, *, owner: str,
         xdg_config_home: pathlib.Path | None = None, mode: int | None = None) -> pathlib.Path:
    """A licence file where (and as) the real client writes it: the folders and the file owned by the user,
    FreeRDP's 0644, rdesktop's 0600 (tests/integration/linux/test_rdp_license_peer.py proves these)."""
    from ansible_collections.tslicensing.cal.plugins.module_utils import _linux_license_files as files
    entry = pwd.getpwnam(owner)
    if layout == 'freerdp':
        folder, name, default_mode = (xdg_config_home or home / '.config') / 'freerdp' / 'licenses', \
            files.freerdp_file_name(hostname), 0o644
    elif layout == 'rdesktop':
        folder, name, default_mode = home / '.local' / 'share' / 'rdesktop' / 'licenses', \
            files.rdesktop_file_name(hostname), 0o600
    else:
        folder, name, default_mode = home / '.rdesktop', 'licence.%s' % hostname, 0o600
    folder.mkdir(parents=True, exist_ok=True)
    current = folder
    while current != home:
        os.chown(current, entry.pw_uid, entry.pw_gid)
        current = current.parent
    path = folder / name
    path.write_bytes(data)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(default_mode if mode is None else mode)
    return path


@pytest.fixture(scope='session')
def xvfb_display() -> t.Iterator[str]:
    """A private Xvfb for the real clients (both open their X display before connecting); a free number.
    Without -auth it takes local connections from every user, as the lab hosts' users need."""
    import thin_client_lab
    for tool in ('Xvfb', 'xfreerdp', 'rdesktop'):
        if not shutil.which(tool):
            pytest.fail('%s is not installed: run scripts/setup.sh (Debian xvfb, freerdp2-x11, rdesktop)' % tool)
    server, display = thin_client_lab.start_xvfb()
    try:
        yield display
    finally:
        thin_client_lab.stop_process(server)
