#!/usr/bin/env bash
# Installs everything this repository needs on a fresh Debian machine, idempotently:
#   - Debian packages: Wine (the lab's Windows stand-in) and, for the tests, PostgreSQL, FreeRDP, rdesktop, Xvfb,
#     OpenSSH's server and sudo (the Linux thin-client lab);
#   - a virtualenv in .venv with the controller and test Python packages;
#   - a link that makes this checkout importable as ansible_collections.tslicensing.cal.
# Safe to run again: every step checks before it acts. Prints where things went.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
python=${TSCAL_PYTHON:-python3}

log() { printf '[setup] %s\n' "$*"; }

apt_install() {
  # apt-get update runs once, and only when something is missing.
  if [ -z "${_apt_updated:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_root_for_apt() {
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] missing Debian packages ($*) and not root: install them with apt-get and run again" >&2
    exit 1
  fi
}

# 1. Debian packages. 32-bit Wine (wine32 from the i386 architecture) makes the lab's 32-bit Windows hosts;
#    mingw-w64 builds the lab's certutil.exe (Wine's is a stub).
missing=()
command -v wine >/dev/null 2>&1 || missing+=(wine wine64)
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  need_root_for_apt "the i386 architecture for wine32"
  log "dpkg --add-architecture i386"
  dpkg --add-architecture i386
  _apt_updated=   # the new architecture's package lists are needed
fi
dpkg-query -W -f='${Status}\n' wine32:i386 2>/dev/null | grep -q 'ok installed' || missing+=(wine32:i386)
command -v i686-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-i686-win32)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)   # headless check of the audit report page
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)   # ansible-test sanity's shellcheck
# Linux thin-client lab (issue 12): the real RDP clients, and a virtual display for them.
command -v xfreerdp >/dev/null 2>&1 || missing+=(freerdp2-x11)
command -v rdesktop >/dev/null 2>&1 || missing+=(rdesktop)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
# ...reached over real SSH on loopback: the tests start their own sshd, and become uses sudo.
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v sudo >/dev/null 2>&1 || missing+=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  need_root_for_apt "${missing[@]}"
  apt_install "${missing[@]}"
fi

# 2. Python virtualenv with the controller + test requirements.
stamp="$venv/.requirements.sha256"
want=$(cat "$repo/requirements.txt" "$repo/tests/requirements.txt" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv with $($python --version)"
  "$python" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "pip install -r requirements.txt -r tests/requirements.txt"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$repo/requirements.txt" -r "$repo/tests/requirements.txt"
  echo "$want" >"$stamp"
fi

# 3. Make the checkout importable as ansible_collections.tslicensing.cal (outside the tree, so
#    that tools walking the repository never loop through the link).
link="$venv/collections/ansible_collections/tslicensing/cal"
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null)" != "$repo" ]; then
  ln -sfn "$repo" "$link"
fi

# 4. Upstream collections the playbooks, docs and lint need (there is no Galaxy server here): taken from
#    the community `ansible` package on PyPI that matches ansible-core 2.19, without installing it.
upstream_stamp="$venv/.upstream-collections"
upstream_want="ansible>=12,<13 ${TSCAL_UPSTREAM_COLLECTIONS:=ansible.windows awx.awx}"
if [ "$(cat "$upstream_stamp" 2>/dev/null)" != "$upstream_want" ]; then
  log "extracting $TSCAL_UPSTREAM_COLLECTIONS from the ansible 12 wheel into $venv/collections"
  wheels="$venv/.wheels"
  "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps "ansible>=12,<13" -d "$wheels"
  read -ra upstream_names <<<"$TSCAL_UPSTREAM_COLLECTIONS"
  "$venv/bin/python" - "$wheels" "$venv/collections" "${upstream_names[@]}" <<'PY'
import pathlib, shutil, sys, zipfile
wheels, dest, names = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3:]
wheel = max(wheels.glob('ansible-*.whl'))
with zipfile.ZipFile(wheel) as archive:
    for name in names:
        prefix = 'ansible_collections/%s/' % name.replace('.', '/')
        shutil.rmtree(dest / prefix, ignore_errors=True)
        archive.extractall(dest, [member for member in archive.namelist() if member.startswith(prefix)])
        print('[setup] %s from %s' % (name, wheel.name))
PY
  rm -rf "$wheels"
  echo "$upstream_want" >"$upstream_stamp"
fi

# 5. Command-line tools of the collection, runnable from the venv.
for tool in "$repo"/scripts/bin/*; do
  [ -e "$tool" ] || continue
  ln -sfn "$tool" "$venv/bin/$(basename "$tool")"
done

log "ready: source $repo/scripts/env.sh to use ansible-playbook with this collection"
