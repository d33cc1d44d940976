#!/usr/bin/env python
# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
"""Linux thin clients reached by real SSH on loopback: one sshd, one Unix user per lab host.

The lab host ``thin01`` is the Unix user ``<prefix>-thin01`` (a home of its own, no password: ``useradd -m -p
'*'``) logging in to an sshd on 127.0.0.1 with a key made for this lab only; a NOPASSWD sudoers entry per
user gives it ``become`` (root), the way a thin-client fleet's service account works. /etc/passwd is shared
by all lab hosts, so each host's inventory names the users whose homes are "its" homes
(``tscal_linux_users``): discovery on a lab host never wanders into another lab host's home.

    with SshLab(workdir, ['thin01', 'thin02'], extra_users={'thin02': ['kiosk']}) as lab:
        lab.write_inventory(path)           # ansible.builtin.ssh, become via sudo, known host keys
        lab.user('thin01')                  # pwd entry of the host's own login user
        lab.ssh('thin01', ['id', '-un'])    # a command over the same SSH

The sshd is the system's /usr/sbin/sshd (Debian openssh-server, installed by scripts/setup.sh) with its
own config and host keys in the work folder, ``StrictModes no`` (the work folder belongs to root, not to
the users), public keys only, and a free port. Needs root (useradd, sudoers, sshd's privilege separation).
Everything it made - users with their homes, sudoers entries, the sshd - is removed by ``stop``.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
import typing as t

SSHD = '/usr/sbin/sshd'
SUDOERS_DIR = pathlib.Path('/etc/sudoers.d')
START_TIMEOUT_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class SshLabError(RuntimeError):
    """The lab cannot be made here (not root, no sshd); the message says what is missing."""


class SshLab:
    def __init__(self, workdir: str | os.PathLike[str], hosts: t.Iterable[str],
                 extra_users: t.Mapping[str, t.Iterable[str]] | None = None, prefix: str | None = None):
        self.workdir = pathlib.Path(workdir)
        self.hosts = list(hosts)
        # Unique per lab: parallel test sessions share /etc/passwd. Short: user names are at most 32 bytes.
        self.prefix = prefix or 'tl%s' % secrets.token_hex(3)
        self.extra_users = {host: list(users) for host, users in (extra_users or {}).items()}
        self.port = 0
        self._sshd: subprocess.Popen[bytes] | None = None
        self._users: list[str] = []
        self._sudoers: list[pathlib.Path] = []

    # -- names ----------------------------------------------------------------------------------------
    def login(self, host: str) -> str:
        return '%s-%s' % (self.prefix, host)

    def unix_users(self, host: str) -> list[str]:
        """The host's login user, then its other users (a kiosk user, say): the homes discovery reads."""
        return [self.login(host)] + ['%s-%s-%s' % (self.prefix, host, extra) for extra in self.extra_users.get(host, ())]

    def user(self, host: str, extra: str | None = None) -> pwd.struct_passwd:
        return pwd.getpwnam(self.login(host) if extra is None else '%s-%s-%s' % (self.prefix, host, extra))

    @property
    def key(self) -> pathlib.Path:
        return self.workdir / 'id_ed25519'

    # -- life cycle -----------------------------------------------------------------------------------
    def start(self) -> 'SshLab':
        if os.geteuid() != 0:
            raise SshLabError('the SSH lab needs root (useradd, sudoers, sshd)')
        for tool in (SSHD, shutil.which('sudo'), shutil.which('ssh')):
            if not tool or not os.path.exists(tool):
                raise SshLabError('%s is missing: run scripts/setup.sh (Debian openssh-server, sudo)' % (tool or 'sudo/ssh'))
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)  # sshd (as each user) reads authorized_keys from here
        try:
            self._keys()
            for host in self.hosts:
                for name in self.unix_users(host):
                    self._add_user(name, sudo=name == self.login(host))
            self._start_sshd()
        except BaseException:
            self.stop()
            raise
        return self

    def _keys(self) -> None:
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'tscal-lab', '-f', str(self.key)],
                       check=True)
        self.host_key = self.workdir / 'ssh_host_ed25519_key'
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(self.host_key)], check=True)
        authorized = self.workdir / 'authorized_keys'
        authorized.write_text(self.key.with_suffix('.pub').read_text())
        authorized.chmod(0o644)

    def _add_user(self, name: str, sudo: bool) -> None:
        subprocess.run(['useradd', '-m', '-p', '*', '-s', '/bin/bash', name], check=True,
                       stdout=subprocess.DEVNULL)
        self._users.append(name)
        if sudo:
            entry = SUDOERS_DIR / name  # no dot in the name: sudo skips files whose names hold one
            entry.write_text('%s ALL=(ALL) NOPASSWD: ALL\n' % name)
            entry.chmod(0o440)
            self._sudoers.append(entry)
            check = subprocess.run(['visudo', '-c', '-q', '-f', str(entry)], capture_output=True, text=True, check=False)
            if check.returncode != 0:
                raise SshLabError('sudoers entry %s rejected: %s' % (entry, check.stderr.strip()))

    def _start_sshd(self) -> None:
        pathlib.Path('/run/sshd').mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        self.port = _free_port()
        config = self.workdir / 'sshd_config'
        config.write_text('\n'.join([
            'ListenAddress 127.0.0.1',
            'Port %d' % self.port,
            'HostKey %s' % self.host_key,
            'PidFile %s' % (self.workdir / 'sshd.pid'),
            'AuthorizedKeysFile %s' % (self.workdir / 'authorized_keys'),
            'PubkeyAuthentication yes',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'PermitRootLogin no',
            'AllowUsers %s' % ' '.join(self._users),
            'StrictModes no',
            'UsePAM yes',
            'Subsystem sftp internal-sftp',
            'MaxStartups 50:30:100',
            'MaxSessions 50',
            '',
        ]))
        log = self.workdir / 'sshd.log'
        # -D: stay in the foreground, so this process is sshd's parent and stop() ends exactly it.
        self._sshd = subprocess.Popen([SSHD, '-D', '-e', '-f', str(config)], stdout=subprocess.DEVNULL,
                                      stderr=log.open('wb'))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._sshd.poll() is not None:
                raise SshLabError('sshd exited (rc %s): %s' % (self._sshd.returncode, log.read_text()[-2000:]))
            with socket.socket() as probe:
                if probe.connect_ex(('127.0.0.1', self.port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise SshLabError('sshd did not listen on 127.0.0.1:%d' % self.port)
        known = self.workdir / 'known_hosts'
        public = self.host_key.with_suffix('.pub').read_text().split()
        known.write_text('[127.0.0.1]:%d %s %s\n' % (self.port, public[0], public[1]))

    def stop(self) -> None:
        if self._sshd is not None:
            self._sshd.terminate()
            try:
                self._sshd.wait(10)
            except subprocess.TimeoutExpired:
                self._sshd.kill()
                self._sshd.wait()
            self._sshd = None
        for entry in self._sudoers:
            entry.unlink(missing_ok=True)
        self._sudoers = []
        self._end_sessions()
        for name in reversed(self._users):
            # -r removes the home and mail spool
            subprocess.run(['userdel', '-r', '-f', name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
        self._users = []

    def _end_sessions(self) -> None:
        """End what still runs as a lab user: the sessions an SSH client's ControlPersist master keeps open
        outlive the listening sshd. Only processes of this lab's own users, each by its pid."""
        uids = set()
        for name in self._users:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                continue
        for _round in range(50):
            left = []
            for entry in pathlib.Path('/proc').iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    owner = entry.stat().st_uid
                except OSError:
                    continue
                if owner in uids:
                    left.append(int(entry.name))
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGTERM if _round < 25 else signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)

    def __enter__(self) -> 'SshLab':
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- use ------------------------------------------------------------------------------------------
    def ssh_options(self) -> list[str]:
        return ['-o', 'UserKnownHostsFile=%s' % (self.workdir / 'known_hosts'), '-o', 'StrictHostKeyChecking=yes',
                '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes']

    def ssh(self, host: str, argv: t.Sequence[str], *, check: bool = True, stdin: str | None = None,
            timeout: int = 60) -> subprocess.CompletedProcess[str]:
        """``argv`` run on the lab host over SSH as its login user (argv quoted for the remote shell)."""
        return subprocess.run(['ssh', *self.ssh_options(), '-i', str(self.key), '-p', str(self.port),
                               '%s@127.0.0.1' % self.login(host), shlex.join(argv)],
                              capture_output=True, text=True, check=check, timeout=timeout,
                              **({'input': stdin} if stdin is not None else {'stdin': subprocess.DEVNULL}))

    def host_vars(self, host: str) -> dict[str, t.Any]:
        return {
            'ansible_connection': 'ansible.builtin.ssh',
            'ansible_host': '127.0.0.1',
            'ansible_port': self.port,
            'ansible_user': self.login(host),
            'ansible_ssh_private_key_file': str(self.key),
            'ansible_ssh_common_args': ' '.join(self.ssh_options()),
            'ansible_become_method': 'ansible.builtin.sudo',
            'ansible_python_interpreter': '/usr/bin/python3',
            'tscal_client_platform': 'linux',
            # The homes this lab host owns (others on this machine belong to other lab hosts).
            'tscal_linux_users': self.unix_users(host),
            # The name the host's RDP clients send (their /client-hostname or -n): what the licence files hash.
            'tscal_linux_hostnames': [host],
        }

    def inventory(self, group: str = 'linux_thin_clients') -> dict[str, t.Any]:
        return {'all': {'children': {group: {'hosts': {host: self.host_vars(host) for host in self.hosts}}}}}

    def write_inventory(self, path: str | os.PathLike[str], group: str = 'linux_thin_clients') -> pathlib.Path:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.inventory(group), indent=2) + '\n')
        return path
