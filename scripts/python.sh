# The interpreter the virtualenv is built with. Sourced by setup.sh (and tests/test_setup_python.py).

# The distribution's own builds (optimised with PGO and LTO), newest first.
PYTHON_CANDIDATES=${PYTHON_CANDIDATES:-/usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 /usr/bin/python3}

# True when $1 runs and is a CPython that pyproject.toml allows (>=3.11,<3.14).
python_supported() {
  "$1" -c 'import sys
sys.exit(not (sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] < (3, 14)))' \
    >/dev/null 2>&1
}

# PYTHON when set, else the first supported candidate, else python3 on the PATH.
choose_python() {
  if [ -n "${PYTHON:-}" ]; then
    printf '%s\n' "$PYTHON"
    return
  fi
  local candidate
  for candidate in $PYTHON_CANDIDATES; do
    if [ -x "$candidate" ] && python_supported "$candidate"; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  printf '%s\n' python3
}

# The real path and version of an interpreter, or of the one a virtualenv's python was made from.
python_identity() {
  "$1" -c 'import os, platform, sys
print(os.path.realpath(sys._base_executable), platform.python_version())' 2>/dev/null
}

# The Debian package that gives the interpreter $1 its venv and ensurepip modules: nothing when
# it has them; fails when it lacks them and is not Debian's (no package can help then).
venv_package() {
  "$1" -c 'import ensurepip, venv' >/dev/null 2>&1 && return 0
  local path
  path=$(command -v "$1") || return 1
  dpkg-query -S "$(realpath "$path")" >/dev/null 2>&1 || return 1
  "$1" -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])'
}
