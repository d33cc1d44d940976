#!/usr/bin/env python
# TEST-ONLY LAB CODE - never shipped with tslicensing.cal.
"""A fleet of Wine prefixes that stand in for Windows clients.

One booted template prefix (``wine wineboot -i``, ~7 s, ~700 MB) is cloned per host with hard links
(~0.03 s, ~2 MB: the registry files are copied, everything else linked). Each host gets the Windows
identity a test needs (``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`` values) and an
``MSLicensing`` store per registry view from ``.reg`` seeds, then an Ansible inventory is written that
reaches every host through the ``lab.wine.prefix`` connection.

Python API (tests, molecule, demo)::

    fleet = Fleet(lab_dir)
    fleet.create({'client01': HostSpec(os='win10-pro', stores={'64': 'one-license'})})
    fleet.write_inventory(path)
    fleet.export_store('client01', '64')   # bytes of a reg export, or None when the key is absent
    fleet.destroy()

Command line::

    fleet.py create  --lab-dir DIR --spec SPEC.yml --inventory INV.yml
    fleet.py create  --lab-dir DIR --hosts 3 --inventory INV.yml     # demo fleet
    fleet.py seed    --lab-dir DIR --host HOST --view 64 --store permanent-license
    fleet.py destroy --lab-dir DIR

A spec file maps host names to ``{os: PROFILE, stores: {'64': SEED, '32': SEED}, arch: win64|win32}``; seeds are the
names in ``SEEDS`` (``none``, ``one-license``, ``several-licenses``, ``other-hwid``, and the synthetic
``permanent-license``, ``expiring-license``, ``temporary-license``) or a path to a
``.reg`` file; profiles are the names in ``OS_PROFILES``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import typing as t
import zlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
LAB_COLLECTIONS = HERE / 'collections'
LAB_BUILD = REPO / '.lab' / 'build'
SHARED_LICENSE = REPO.parent / 'shared' / 'fixtures' / 'license'
REAL_EXPORT = SHARED_LICENSE / 'mslicensing-wine-export.reg'

MSLICENSING = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\MSLicensing'
CURRENT_VERSION = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
COMPUTER_NAME = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName'
VIEWS = ('64', '32')
ARCHES = ('win64', 'win32')
WINE_PACKAGES = ('wine', 'wine64', 'wine32', 'libwine')
CERTUTIL_SOURCE = HERE / 'certutil' / 'certutil.c'
CERTUTIL_COMPILER = 'i686-w64-mingw32-gcc'  # one 32-bit build runs in win32 and win64 prefixes
SERVER_LINGER_SECONDS = 300  # persistent wineservers go away by themselves after a crash of the caller

sys.path.insert(0, str(REPO / '.venv' / 'collections'))
sys.path.insert(0, str(HERE.parent))  # tests/: license_factory
from ansible_collections.tslicensing.cal.plugins.plugin_utils import _regfile  # noqa: E402

# The CurrentVersion values of real systems, as each reports them (see shared/docs/lab-notes.md).
# Windows 10/11 report CurrentVersion 6.3 plus CurrentMajorVersionNumber 10; 11 is build >= 22000.
OS_PROFILES: dict[str, dict[str, str | int]] = {
    'win2000-pro': {'ProductName': 'Microsoft Windows 2000', 'CurrentVersion': '5.0',
                    'CurrentBuildNumber': '2195', 'CSDVersion': 'Service Pack 4'},
    'winxp-home': {'ProductName': 'Microsoft Windows XP', 'EditionID': 'Home', 'CurrentVersion': '5.1',
                   'CurrentBuildNumber': '2600', 'CSDVersion': 'Service Pack 3'},
    'winxp-pro': {'ProductName': 'Microsoft Windows XP', 'EditionID': 'Professional',
                  'CurrentVersion': '5.1', 'CurrentBuildNumber': '2600', 'CSDVersion': 'Service Pack 3'},
    'win2003': {'ProductName': 'Microsoft Windows Server 2003', 'EditionID': 'ServerStandard',
                'CurrentVersion': '5.2', 'CurrentBuildNumber': '3790', 'CSDVersion': 'Service Pack 2'},
    'win7-pro': {'ProductName': 'Windows 7 Professional', 'EditionID': 'Professional',
                 'CurrentVersion': '6.1', 'CurrentBuildNumber': '7601', 'CSDVersion': 'Service Pack 1',
                 'InstallationType': 'Client'},
    'win10-pro': {'ProductName': 'Windows 10 Pro', 'EditionID': 'Professional', 'CurrentVersion': '6.3',
                  'CurrentBuildNumber': '19045', 'CurrentBuild': '19045', 'InstallationType': 'Client',
                  'CurrentMajorVersionNumber': 10, 'CurrentMinorVersionNumber': 0},
    'win11-home': {'ProductName': 'Windows 10 Home', 'EditionID': 'Core', 'CurrentVersion': '6.3',
                   'CurrentBuildNumber': '22631', 'CurrentBuild': '22631', 'InstallationType': 'Client',
                   'CurrentMajorVersionNumber': 10, 'CurrentMinorVersionNumber': 0},
    'server2022': {'ProductName': 'Windows Server 2022 Standard', 'EditionID': 'ServerStandard',
                   'CurrentVersion': '6.3', 'CurrentBuildNumber': '20348', 'CurrentBuild': '20348',
                   'InstallationType': 'Server', 'CurrentMajorVersionNumber': 10,
                   'CurrentMinorVersionNumber': 0},
}


def _real_store() -> _regfile.RegDocument:
    return _regfile.parse_reg(REAL_EXPORT.read_bytes(), str(REAL_EXPORT))


def _with_hwid(doc: _regfile.RegDocument, hwid: bytes) -> _regfile.RegDocument:
    keys = []
    for key in doc.keys:
        if key.path.casefold().endswith('\\hardwareid'):
            key = dataclasses.replace(key, values=(_regfile.RegValue('ClientHWID', _regfile.REG_BINARY, hwid),))
        keys.append(key)
    return dataclasses.replace(doc, keys=tuple(keys))


def _several_licenses() -> _regfile.RegDocument:
    """The real store plus LICENSE001/LICENSE002 (other scope values) - several LICENSEnnn keys."""
    doc = _real_store()
    license000 = next(k for k in doc.keys if k.path.endswith('LICENSE000'))
    extra = []
    for index, scope in ((1, b'contoso.example\x00'), (2, b'fabrikam.example\x00')):
        values = tuple(_regfile.RegValue(v.name, v.type, scope) if v.name == 'LicenseScope' else v
                       for v in license000.values)
        extra.append(_regfile.RegKey(license000.path[:-3] + '%03d' % index, values))
    return dataclasses.replace(doc, keys=doc.keys + tuple(extra))


def _synthetic_store(host: str, days_left: int, temporary: bool = False) -> _regfile.RegDocument:
    """The real store's layout with a ClientLicense made by tests/license_factory.py for ``host``: valid from
    30 days ago until ``days_left`` days from now, permanent or temporary, issued by LICSRV01 with a serial
    derived from the host name (so every host holds a distinct CAL)."""
    import license_factory  # tests/ is on sys.path (below): the factory is test-only code too

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    flags = 0x00808000 | (0x80000000 if temporary else 0)
    spec = license_factory.LicenseSpec(
        machine=host.upper()[:15], serial=0x0200000000 + zlib.crc32(host.encode()) % 0xFFFFFF,
        versions=[(10, 0, flags)], not_before=now - datetime.timedelta(days=30),
        not_after=now + datetime.timedelta(days=days_left))
    blob = license_factory.build_client_license([spec])
    keys = []
    for key in _real_store().keys:
        if key.path.casefold().endswith('\\license000'):
            key = dataclasses.replace(key, values=tuple(
                _regfile.RegValue(v.name, v.type, blob) if v.name == 'ClientLicense' else v for v in key.values))
        keys.append(key)
    return _regfile.RegDocument(tuple(keys))


# Seeds: a store per view. The synthetic ones are made per host (distinct serials) and relative to today.
SEEDS: dict[str, t.Callable[[str], _regfile.RegDocument | None]] = {
    'none': lambda host: None,
    'one-license': lambda host: _real_store(),  # the real license: temporary, expired in 2007
    'several-licenses': lambda host: _several_licenses(),
    'other-hwid': lambda host: _with_hwid(_real_store(), bytes.fromhex('02000000' + '11' * 16)),
    'permanent-license': lambda host: _synthetic_store(host, days_left=75),
    'expiring-license': lambda host: _synthetic_store(host, days_left=5),
    'temporary-license': lambda host: _synthetic_store(host, days_left=40, temporary=True),
    # A second permanent CAL of the same host (another serial): two views holding two different CALs.
    'second-permanent-license': lambda host: _synthetic_store(host + '/second', days_left=75),
}


@dataclasses.dataclass
class HostSpec:
    os: str = 'win10-pro'
    stores: dict[str, str] = dataclasses.field(default_factory=lambda: {'64': 'one-license'})
    arch: str = 'win64'
    """``win32`` makes a 32-bit Windows (``WINEARCH=win32``): /reg:64 and /reg:32 open one key there."""
    computer_name: str | None = None
    """The NetBIOS computer name in the registry; by default the host name, upper case, at most 15 characters."""
    # The host's name in the inventory when it cannot name a prefix folder (a hostile name such as '../x',
    # '..' or an absolute path); the fleet's key names the prefix, ansible_wine_prefix maps one to the other.
    inventory_name: str | None = None


def seed_document(seed: str, host: str = 'client') -> _regfile.RegDocument | None:
    if seed in SEEDS:
        return SEEDS[seed](host)
    path = pathlib.Path(seed)
    return _regfile.parse_reg(path.read_bytes(), str(path))


class WineError(RuntimeError):
    pass


def netbios_name(host: str) -> str:
    return ''.join(c if c.isascii() and (c.isalnum() or c == '-') else '-' for c in host.upper())[:15]


def wine_packages_key() -> str:
    """A short stable key of the installed Wine packages (name, architecture and version of each)."""
    proc = subprocess.run(['dpkg-query', '-W', '-f', '${Package}:${Architecture}=${Version}\\n', *WINE_PACKAGES],
                          capture_output=True, text=True, check=False)
    installed = sorted(line for line in proc.stdout.splitlines() if line and not line.endswith('='))
    if not installed:  # not Debian: the version wine reports is the best key there is
        installed = [subprocess.run(['wine', '--version'], capture_output=True, text=True, check=True).stdout.strip()]
    return '%08x' % zlib.crc32('\n'.join(installed).encode())


def build_certutil() -> pathlib.Path:
    """The lab's certutil.exe, compiled from tests/lab/certutil/certutil.c when the source changed."""
    source = CERTUTIL_SOURCE.read_bytes()
    exe = LAB_BUILD / ('certutil-%08x.exe' % zlib.crc32(source))
    if not exe.exists():
        if shutil.which(CERTUTIL_COMPILER) is None:
            raise WineError('%s not found: run scripts/setup.sh (it installs gcc-mingw-w64-i686-win32)' % CERTUTIL_COMPILER)
        LAB_BUILD.mkdir(parents=True, exist_ok=True)
        partial = exe.with_suffix('.part%d' % os.getpid())
        subprocess.run([CERTUTIL_COMPILER, '-O2', '-s', '-o', str(partial), str(CERTUTIL_SOURCE)], check=True)
        os.replace(partial, exe)
    return exe


class Fleet:
    """The prefixes of one lab (one directory) and how to reach them."""

    def __init__(self, lab_dir: str | os.PathLike[str]) -> None:
        self.lab_dir = pathlib.Path(lab_dir).resolve()
        self.state_file = self.lab_dir / 'fleet.json'
        self.hosts: dict[str, dict[str, t.Any]] = {}
        if self.state_file.exists():
            self.hosts = json.loads(self.state_file.read_text())['hosts']

    # -- Wine plumbing -------------------------------------------------------------------------
    @property
    def tmpdir(self) -> str:
        # Short and fixed per lab: the wineserver socket lives under it (AF_UNIX paths are short),
        # and every call on a prefix must use the same one.
        marker = self.lab_dir / 'tmpdir'
        if marker.exists():
            return marker.read_text().strip()
        self.lab_dir.mkdir(parents=True, exist_ok=True)
        path = tempfile.mkdtemp(prefix='tscal-wine-')
        marker.write_text(path)
        return path

    def _env(self, prefix: pathlib.Path) -> dict[str, str]:
        env = dict(os.environ, WINEPREFIX=str(prefix), WINEDEBUG='-all', TMPDIR=self.tmpdir)
        env.pop('DISPLAY', None)
        return env

    def wine(self, prefix: pathlib.Path, *argv: str, timeout: float = 120) -> tuple[int, str]:
        """Run a Windows program; output through a file (a pipe would be held open by wineserver)."""
        with tempfile.TemporaryFile() as out:
            proc = subprocess.run(['wine', *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                  env=self._env(prefix), timeout=timeout, check=False)
            out.seek(0)
            return proc.returncode, out.read().decode('utf-8', 'replace')

    def _wineserver(self, prefix: pathlib.Path, *args: str) -> None:
        subprocess.run(['wineserver', *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=self._env(prefix), timeout=60, check=False)

    def reg(self, host: str, *args: str) -> tuple[int, str]:
        return self.wine(self.prefix(host), 'reg', *args)

    def prefix(self, host: str) -> pathlib.Path:
        return self.lab_dir / 'hosts' / host

    # -- template and clones -------------------------------------------------------------------
    def template(self, arch: str = 'win64') -> pathlib.Path:
        """The booted template prefix of one Wine architecture (``win64``, or ``win32`` for a 32-bit Windows),
        made once per lab root and reused (guarded by a lock).

        Keyed on the installed Wine packages: prefixes made before ``wine32`` was installed stop working after
        it (``could not load kernel32.dll``), so a package change makes a new template; and on the lab's
        certutil source, which the template holds."""
        if arch not in ARCHES:
            raise ValueError('Wine architecture must be one of %s, not %r' % (', '.join(ARCHES), arch))
        root = self.lab_dir.parent
        key = '%s-%08x' % (wine_packages_key(), zlib.crc32(CERTUTIL_SOURCE.read_bytes()))
        template = root / ('template-%s-%s' % (arch, key))
        root.mkdir(parents=True, exist_ok=True)
        with open(root / '.template.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (template / '.booted').exists():
                for stale in root.glob('template-*'):
                    if stale.name.startswith('template-%s-' % arch) or not stale.name.startswith(
                            tuple('template-%s-' % known for known in ARCHES)):
                        shutil.rmtree(stale, ignore_errors=True)
                env = dict(self._env(template), WINEARCH=arch)
                with tempfile.TemporaryFile() as out:
                    rc = subprocess.run(['wine', 'wineboot', '-i'], stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, env=env, timeout=300, check=False).returncode
                    out.seek(0)
                    output = out.read().decode('utf-8', 'replace')
                if rc == 0:
                    self._install_certutil(template)
                # stop the server so that the registry reaches system.reg before anything is cloned
                self._wineserver(template, '-k')
                if rc != 0 or not (template / 'system.reg').exists():
                    raise WineError('wineboot -i (%s) failed in %s (rc %s): %s' % (arch, template, rc, output[-2000:]))
                (template / '.booted').write_text(key)
        return template

    def _install_certutil(self, template: pathlib.Path) -> None:
        """Wine's certutil.exe is a stub: put the lab's -hashfile and -encode (tests/lab/certutil) in its place,
        loaded natively, so that hash checks run as on Windows."""
        exe = build_certutil()
        for folder in ('system32', 'syswow64'):
            target = template / 'drive_c' / 'windows' / folder
            if target.is_dir():
                shutil.copyfile(exe, target / 'certutil.exe')
        rc, out = self.wine(template, 'reg', 'add', 'HKCU\\Software\\Wine\\DllOverrides', '/v', 'certutil.exe',
                            '/d', 'native', '/f')
        if rc != 0:
            raise WineError('cannot make certutil.exe load natively in %s: %s' % (template, out))

    @staticmethod
    def _clone(template: pathlib.Path, dest: pathlib.Path) -> None:
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(['cp', '-al', str(template), str(dest)], check=True)
        # Wine rewrites the registry files in place: each host needs its own copies.
        for name in ('system.reg', 'user.reg', 'userdef.reg'):
            linked = dest / name
            if linked.exists():
                linked.unlink()
                shutil.copy2(template / name, linked)

    # -- seeding -------------------------------------------------------------------------------
    def _import(self, host: str, doc: _regfile.RegDocument, view: str) -> None:
        staging = self.prefix(host) / 'drive_c' / 'lab-seed.reg'
        staging.write_bytes(_regfile.write_reg(doc))
        rc, out = self.reg(host, 'import', 'C:\\lab-seed.reg', '/reg:' + view)
        staging.unlink()
        if rc != 0:
            raise WineError('seeding %s (view %s) failed: rc %s %s' % (host, view, rc, out))

    def _identity(self, profile: str) -> _regfile.RegDocument:
        values = []
        for name, value in OS_PROFILES[profile].items():
            if isinstance(value, int):
                values.append(_regfile.RegValue(name, _regfile.REG_DWORD, value))
            else:
                values.append(_regfile.RegValue(name, _regfile.REG_SZ, value))
        # Values Wine sets that the profile does not have would make a wrong OS: delete them.
        for name in ('ProductName', 'EditionID', 'CurrentVersion', 'CurrentBuildNumber', 'CurrentBuild',
                     'CSDVersion', 'InstallationType', 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber'):
            if name not in OS_PROFILES[profile]:
                values.insert(0, _regfile.RegValue(name, None, None))
        return _regfile.RegDocument((_regfile.RegKey(CURRENT_VERSION, tuple(values)),))

    def seed(self, host: str, spec: HostSpec) -> None:
        if spec.os not in OS_PROFILES:
            raise ValueError('unknown OS profile %r (known: %s)' % (spec.os, ', '.join(OS_PROFILES)))
        self._import(host, self._identity(spec.os), '64')
        self._import(host, _regfile.RegDocument((_regfile.RegKey(COMPUTER_NAME, (
            _regfile.RegValue('ComputerName', _regfile.REG_SZ, spec.computer_name or netbios_name(host)),)),)), '64')
        for view, seed in spec.stores.items():
            self.seed_store(host, view, seed)

    def seed_store(self, host: str, view: str, seed: str) -> None:
        """Import a seed into one view of a host's registry (e.g. the CAL a new client was just issued)."""
        if view not in VIEWS:
            raise ValueError('registry view must be 64 or 32, not %r' % view)
        doc = seed_document(seed, host)
        if doc is not None:
            self._import(host, doc, view)

    def create(self, specs: t.Mapping[str, HostSpec]) -> None:
        templates = {arch: self.template(arch) for arch in sorted({spec.arch for spec in specs.values()})}
        for host, spec in specs.items():
            prefix = self.prefix(host)
            self._clone(templates[spec.arch], prefix)
            # Persistent server started detached before any other call: warm reg.exe calls, and no
            # caller ever shares a pipe with it.
            self._wineserver(prefix, '-p%d' % SERVER_LINGER_SECONDS)
            self.seed(host, spec)
            self.hosts[host] = {'prefix': str(prefix), 'os': spec.os, 'stores': dict(spec.stores), 'arch': spec.arch,
                                'inventory_name': spec.inventory_name or host}
        self._save()

    def _save(self) -> None:
        self.lab_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps({'hosts': self.hosts}, indent=2))

    def destroy(self) -> None:
        for host in list(self.hosts):
            prefix = self.prefix(host)
            if prefix.exists():
                self._wineserver(prefix, '-k')
        marker = self.lab_dir / 'tmpdir'
        if marker.exists():
            shutil.rmtree(marker.read_text().strip(), ignore_errors=True)
        shutil.rmtree(self.lab_dir, ignore_errors=True)
        self.hosts = {}

    # -- inventory and inspection ---------------------------------------------------------------
    def inventory(self, group: str = 'lab_clients') -> dict[str, t.Any]:
        hosts = {
            info.get('inventory_name') or name: {
                'ansible_connection': 'lab.wine.prefix',
                'ansible_wine_prefix': info['prefix'],
                'ansible_wine_tmpdir': self.tmpdir,
                'ansible_python_interpreter': sys.executable,
                'lab_os_profile': info['os'],
                'lab_seeded_stores': info['stores'],
                'lab_wine_arch': info.get('arch', 'win64'),
            }
            for name, info in self.hosts.items()
        }
        return {'all': {'children': {group: {'hosts': hosts}}}}

    def write_inventory(self, path: str | os.PathLike[str], group: str = 'lab_clients') -> pathlib.Path:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is valid YAML, and avoids the backslash traps of hand-written YAML
        path.write_text(json.dumps(self.inventory(group), indent=2) + '\n')
        return path

    def export_stores(self, host: str) -> dict[str, bytes | None]:
        """``export_store`` of both views: what a test compares before and after a run."""
        return {view: self.export_store(host, view) for view in ('64', '32')}

    def export_store(self, host: str, view: str, key: str = MSLICENSING) -> bytes | None:
        """The bytes of ``reg export`` of the store in one view, or None when the key is absent."""
        target = self.prefix(host) / 'drive_c' / ('lab-export-%s.reg' % view)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        rc, _out = self.reg(host, 'export', key, 'C:\\' + target.name, '/y', '/reg:' + view)
        if rc != 0:
            return None
        data = target.read_bytes()
        target.unlink()
        return data


def demo_specs(count: int) -> dict[str, HostSpec]:
    """The demo fleet: a license in the 64-bit view, one in both views, several licenses, ..."""
    rotation = [HostSpec('win10-pro', {'64': 'one-license'}),
                HostSpec('win11-home', {'64': 'several-licenses', '32': 'one-license'}),
                HostSpec('win7-pro', {'32': 'other-hwid'}),
                HostSpec('server2022', {})]
    return {'client%02d' % (i + 1): rotation[i % len(rotation)] for i in range(count)}


def _load_spec(path: str) -> dict[str, HostSpec]:
    import yaml
    raw = yaml.safe_load(pathlib.Path(path).read_text()) or {}
    return {name: HostSpec(**(value or {})) for name, value in raw.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    create = sub.add_parser('create', help='create, seed and write the inventory')
    create.add_argument('--lab-dir', required=True)
    create.add_argument('--inventory', required=True)
    group = create.add_mutually_exclusive_group(required=True)
    group.add_argument('--spec', help='YAML: host: {os: PROFILE, stores: {"64": SEED, "32": SEED}}')
    group.add_argument('--hosts', type=int, help='a demo fleet of N clients')
    seed = sub.add_parser('seed', help="import a seed into one view of a host's registry")
    seed.add_argument('--lab-dir', required=True)
    seed.add_argument('--host', required=True)
    seed.add_argument('--view', choices=VIEWS, default='64')
    seed.add_argument('--store', required=True, help='a name in SEEDS or a .reg file')
    destroy = sub.add_parser('destroy', help='stop the wineservers and remove the prefixes')
    destroy.add_argument('--lab-dir', required=True)
    args = parser.parse_args(argv)

    fleet = Fleet(args.lab_dir)
    if args.command == 'create':
        specs = _load_spec(args.spec) if args.spec else demo_specs(args.hosts)
        fleet.create(specs)
        path = fleet.write_inventory(args.inventory)
        print('lab fleet: %d hosts in %s, inventory %s' % (len(specs), fleet.lab_dir, path))
    elif args.command == 'seed':
        fleet.seed_store(args.host, args.view, args.store)
        print('lab fleet: seeded %s (view %s) with %s' % (args.host, args.view, args.store))
    else:
        fleet.destroy()
        print('lab fleet in %s destroyed' % fleet.lab_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
