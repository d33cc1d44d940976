"""The execution environment definition: ansible-builder turns it into a build context (no image is built),
the collection tarball in that context carries its requirement files, and builder's introspection of the
installed collection finds the collection's Python and system requirements next to the EE's own."""

from __future__ import annotations

import pathlib
import shutil
import tarfile

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement

from quality_tools import REPO, run_tool, tool_env

EE_FILE = REPO / 'execution-environment.yml'


def _load(path: pathlib.Path) -> dict:
    return yaml.safe_load(path.read_text(encoding='utf-8'))


def _requirement_lines(path: pathlib.Path) -> list[str]:
    lines = (line.split('#', 1)[0].strip() for line in path.read_text(encoding='utf-8').splitlines())
    return [line for line in lines if line]


def _introspected(section: str, output: str) -> list[str]:
    """Entries of builder's introspection output, without the '# from collection X' notes."""
    data = yaml.safe_load(output)
    return [entry.split('#', 1)[0].strip() for entry in data[section]]


@pytest.fixture(scope='module')
def definition() -> dict:
    return _load(EE_FILE)


@pytest.fixture(scope='module')
def build(tmp_path_factory: pytest.TempPathFactory, definition: dict) -> dict[str, pathlib.Path]:
    """The EE definition and the files it names, copied beside a freshly built collection tarball (where
    `ansible-galaxy collection build` puts it in a checkout), then `ansible-builder create`."""
    source = tmp_path_factory.mktemp('ee-source')
    shutil.copy(EE_FILE, source / EE_FILE.name)
    galaxy_file = pathlib.Path(definition['dependencies']['galaxy'])
    (source / galaxy_file).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / galaxy_file, source / galaxy_file)
    built = run_tool('ansible-galaxy', 'collection', 'build', '--output-path', source, REPO)
    assert built.returncode == 0, built.stdout + built.stderr
    context = tmp_path_factory.mktemp('ee-context')
    created = run_tool('ansible-builder', 'create', '--file', source / EE_FILE.name, '--context', context,
                       '--output-filename', 'Containerfile', cwd=source)
    assert created.returncode == 0, created.stdout + created.stderr
    return {'source': source, 'context': context}


def test_definition_pins_ansible_core_219_and_runner(definition: dict) -> None:
    assert definition['version'] == 3
    core = Requirement(definition['dependencies']['ansible_core']['package_pip'])
    assert core.name == 'ansible-core'
    assert core.specifier.contains('2.19.14') and not core.specifier.contains('2.20.0')
    assert not core.specifier.contains('2.18.9')
    assert Requirement(definition['dependencies']['ansible_runner']['package_pip']).name == 'ansible-runner'


def test_containerfile_installs_core_collections_and_introspects(build: dict[str, pathlib.Path],
                                                                 definition: dict) -> None:
    containerfile = (build['context'] / 'Containerfile').read_text(encoding='utf-8')
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in containerfile
    assert 'ANSIBLE_INSTALL_REFS="%s ansible-runner"' % definition['dependencies']['ansible_core']['package_pip'] \
        in containerfile
    assert 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml' in containerfile
    assert 'introspect --user-pip=requirements.txt' in containerfile


def test_context_holds_the_galaxy_requirements_and_the_tarball_they_name(build: dict[str, pathlib.Path]) -> None:
    staged = build['context'] / '_build'
    requirements = _load(staged / 'requirements.yml')
    by_name = {entry['name']: entry for entry in requirements['collections']}
    assert 'ansible.windows' in by_name
    galaxy = _load(REPO / 'galaxy.yml')
    # The galaxy stage runs in /build, where additional_build_files put the tarball.
    tarball = 'collections/%s-%s-%s.tar.gz' % (galaxy['namespace'], galaxy['name'], galaxy['version'])
    assert by_name.get(tarball, {}).get('type') == 'file', (
        'awx/ee/requirements.yml must name %s (galaxy.yml version); it has %s' % (tarball, sorted(by_name)))
    assert (staged / tarball).is_file()


def test_context_python_requirements_carry_the_winrm_transports(build: dict[str, pathlib.Path]) -> None:
    staged = [Requirement(line) for line in _requirement_lines(build['context'] / '_build' / 'requirements.txt')]
    pywinrm = [req for req in staged if req.name == 'pywinrm']
    assert pywinrm and {'kerberos', 'credssp'} <= pywinrm[0].extras
    # The collection's own requirements come from the installed collection, not from a copy here; the EE
    # names pywinrm (which the controller's requirements.txt has too) only to add the transports' extras.
    collection = {Requirement(line): Requirement(line).name for line in _requirement_lines(REPO / 'requirements.txt')}
    assert 'pywinrm' in collection.values()
    assert set(collection.values()) & {req.name for req in staged} == {'pywinrm'}
    # the controller's pywinrm has no extras: its setup compiles nothing against krb5 headers
    assert not [req.extras for req, name in collection.items() if name == 'pywinrm'][0]


def test_tarball_ships_the_requirement_files_builder_reads(build: dict[str, pathlib.Path]) -> None:
    meta = _load(REPO / 'meta' / 'execution-environment.yml')
    assert meta['version'] == 1
    wanted = {'meta/execution-environment.yml', meta['dependencies']['python'], meta['dependencies']['system']}
    assert wanted == {'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt'}
    tarball = next((build['context'] / '_build' / 'collections').glob('*.tar.gz'))
    with tarfile.open(tarball) as archive:
        shipped = set(archive.getnames())
    assert wanted <= shipped, 'galaxy.yml build_ignore drops %s' % sorted(wanted - shipped)


def test_builder_introspection_sees_the_collection_and_ee_requirements(build: dict[str, pathlib.Path],
                                                                       tmp_path: pathlib.Path) -> None:
    """What the image's builder stage runs, on the tarball of the context installed into a collections path."""
    tarball = next((build['context'] / '_build' / 'collections').glob('*.tar.gz'))
    env = tool_env(ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    installed = run_tool('ansible-galaxy', 'collection', 'install', '--no-deps', '-p', tmp_path, tarball, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    user_pip = build['context'] / '_build' / 'requirements.txt'
    introspect = run_tool('ansible-builder', 'introspect', '--sanitize', '--user-pip', user_pip, tmp_path, env=env)
    assert introspect.returncode == 0, introspect.stdout + introspect.stderr
    python = _introspected('python', introspect.stdout)
    assert set(_requirement_lines(REPO / 'requirements.txt')) | set(_requirement_lines(user_pip)) == set(python)
    assert _introspected('system', introspect.stdout) == _requirement_lines(REPO / 'bindep.txt')


def _is_build_tool(package: str) -> bool:
    return package == 'gcc' or package.endswith(('-devel', '-dev'))


@pytest.mark.parametrize('platform', ['platform:rpm', 'platform:dpkg'])
def test_bindep_keeps_build_tools_out_of_the_final_image(platform: str) -> None:
    """builder installs the [compile] profile only in its builder stage; the final image gets the rest."""
    depends = Depends((REPO / 'bindep.txt').read_text(encoding='utf-8'))
    runtime = {name for name, _profiles, _versions in depends.active_rules([platform])}
    build = {name for name, _profiles, _versions in depends.active_rules([platform, 'compile'])}
    assert runtime, 'no runtime package for %s (the Kerberos libraries and kinit)' % platform
    assert {name for name in build if _is_build_tool(name)}, 'pykerberos needs a compiler and headers'
    assert not {name for name in runtime if _is_build_tool(name)}
