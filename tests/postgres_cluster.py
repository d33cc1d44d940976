"""A throwaway PostgreSQL cluster for the ledger tests and the benchmark.

initdb refuses to run as root, so the cluster belongs to the ``postgres`` system user (``runuser``
when we are root). It lives in one temporary directory, listens on 127.0.0.1 on a free port (and on a
unix socket in the same directory), and is removed on stop. Clients connect over TCP with a password
so that the tests exercise the real authentication path and the password masking.
"""

from __future__ import annotations

import glob
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import typing as t

SERVICE_USER = 'postgres'
LEDGER_ROLE = 'tscal'
# Deliberately contains URL-special characters: the URL quoting and the masking must both cope.
LEDGER_PASSWORD = 's3cr3t:p@ss/word'


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the service user) are not installed."""


def find_bin_dir() -> pathlib.Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    candidates = [pathlib.Path(p) for p in glob.glob('/usr/lib/postgresql/*/bin')
                  if os.access(os.path.join(p, 'initdb'), os.X_OK) and os.access(os.path.join(p, 'pg_ctl'), os.X_OK)]
    if not candidates:
        raise PostgresUnavailable(
            'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them '
            '(apt-get install postgresql) - the ledger suite runs on PostgreSQL as well as SQLite')
    return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """Start with :meth:`start`, make databases with :meth:`create_database`, end with :meth:`stop`."""

    def __init__(self, durable: bool = True) -> None:
        # durable=False turns off fsync: fine for tests, dishonest for a benchmark.
        self.durable = durable
        self.bin_dir = find_bin_dir()
        self.port = _free_port()
        self.root: pathlib.Path | None = None
        self._database_count = 0

    @property
    def data_dir(self) -> pathlib.Path:
        assert self.root is not None
        return self.root / 'data'

    def _as_service_user(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            argv = ['runuser', '-u', SERVICE_USER, '--'] + argv
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError('%s failed (rc %d): %s%s' % (
                ' '.join(argv), result.returncode, result.stdout, result.stderr))
        return result

    def start(self) -> None:
        try:
            service = pwd.getpwnam(SERVICE_USER)
        except KeyError as exc:
            raise PostgresUnavailable('system user %r not found (it comes with the postgresql package)'
                                      % SERVICE_USER) from exc
        self.root = pathlib.Path(tempfile.mkdtemp(prefix='tscal-pg-'))
        os.chown(self.root, service.pw_uid, service.pw_gid)
        self._as_service_user([str(self.bin_dir / 'initdb'), '-D', str(self.data_dir), '-U', 'postgres',
                               '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8',
                               '--locale=C.UTF-8'])
        options = ['-c listen_addresses=127.0.0.1', '-p %d' % self.port,
                   '-c unix_socket_directories=%s' % self.root, '-c max_connections=200']
        if not self.durable:
            options += ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']
        self._options = ' '.join(options)
        self.start_server()
        self._admin("CREATE ROLE %s LOGIN PASSWORD '%s'" % (LEDGER_ROLE, LEDGER_PASSWORD.replace("'", "''")))

    def start_server(self) -> None:
        """(Re)start the server of this cluster (after :meth:`stop_server_argv` stopped it)."""
        assert self.root is not None
        self._as_service_user([str(self.bin_dir / 'pg_ctl'), 'start', '-w', '-t', '60', '-D', str(self.data_dir),
                               '-l', str(self.root / 'server.log'), '-o', self._options])

    def stop_server_argv(self) -> list[str]:
        """The command that stops the server at once (a crash-like stop), for fault-injection hooks."""
        argv = [str(self.bin_dir / 'pg_ctl'), 'stop', '-w', '-m', 'immediate', '-D', str(self.data_dir)]
        return (['runuser', '-u', SERVICE_USER, '--'] + argv) if os.geteuid() == 0 else argv

    def _admin(self, sql: str) -> None:
        # Local socket, trust auth, as the superuser: only the fixture itself uses this path.
        import psycopg

        with psycopg.connect(host=str(self.root), port=self.port, user='postgres', dbname='postgres',
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # fixture-built DDL, no user input

    def create_database(self) -> str:
        """A fresh empty database owned by the ledger role; returns its URL (with the password)."""
        from urllib.parse import quote

        self._database_count += 1
        name = 'ledger_%d' % self._database_count
        self._admin('CREATE DATABASE %s OWNER %s' % (name, LEDGER_ROLE))
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (
            LEDGER_ROLE, quote(LEDGER_PASSWORD, safe=''), self.port, name)

    def stop(self) -> None:
        if self.root is None:
            return
        try:
            if (self.data_dir / 'postmaster.pid').exists():
                self._as_service_user([str(self.bin_dir / 'pg_ctl'), 'stop', '-w', '-m', 'fast',
                                       '-D', str(self.data_dir)])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> 'PostgresCluster':
        self.start()
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.stop()


def cluster_fixture_body() -> t.Iterator[PostgresCluster]:
    """Body of the session fixture ``pg_cluster`` (tests/conftest.py): a missing PostgreSQL
    FAILS the run - CI installs it - rather than silently skipping half of the suite."""
    import pytest

    cluster = PostgresCluster(durable=False)
    try:
        cluster.start()
    except PostgresUnavailable as exc:
        pytest.fail('PostgreSQL is required for the ledger suite: %s' % exc, pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()
