"""Which interpreter `make setup` builds the virtualenv with (scripts/python.sh)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.foundation


def run(snippet: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Source scripts/python.sh in bash and run a snippet with it."""
    return subprocess.run(
        ["bash", "-c", f"source scripts/python.sh\n{snippet}"],
        cwd=PROJECT_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )


def script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_python_set_in_the_environment_wins(tmp_path: Path) -> None:
    chosen = run("choose_python", PYTHON="/opt/custom/python3.12", PYTHON_CANDIDATES=sys.executable)
    assert chosen.stdout.strip() == "/opt/custom/python3.12"


def test_the_first_supported_candidate_is_chosen(tmp_path: Path) -> None:
    # One that is missing and one that fails the version check come first.
    failing = script(tmp_path / "python3.14", "exit 1")
    candidates = f"{tmp_path / 'python3.13'} {failing} {sys.executable}"
    chosen = run("choose_python", PYTHON_CANDIDATES=candidates)
    assert chosen.stdout.strip() == sys.executable


def test_without_a_supported_candidate_python3_on_the_path_is_used(tmp_path: Path) -> None:
    chosen = run("choose_python", PYTHON_CANDIDATES=str(tmp_path / "python3.12"))
    assert chosen.stdout.strip() == "python3"


def test_a_virtualenv_is_known_by_the_interpreter_it_was_made_with(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    identities = run(f'python_identity {sys.executable}; python_identity "$VENV/bin/python"',
                     VENV=str(tmp_path / "venv")).stdout.splitlines()  # fmt: skip
    assert len(identities) == 2 and identities[0] == identities[1]
    assert identities[0].endswith(" " + ".".join(map(str, sys.version_info[:3])))


def test_a_debian_interpreter_without_ensurepip_asks_for_its_venv_package(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Debian's own interpreter without python3.X-venv: `import ensurepip` fails.
    stripped = script(
        bin_dir / "python3",
        f'case "$*" in *ensurepip*) exit 1 ;; esac\nexec {sys.executable} "$@"',
    )
    path = f"{bin_dir}:/usr/bin:/bin"
    script(bin_dir / "dpkg-query", "echo 'python3.11-minimal: /usr/bin/python3.11'")
    asked = run(f"venv_package {stripped}", PATH=path)
    assert asked.returncode == 0
    assert asked.stdout.strip() == "python{}.{}-venv".format(*sys.version_info[:2])

    # Not Debian's: no package would help, so setup stops and says so.
    script(bin_dir / "dpkg-query", "exit 1")
    assert run(f"venv_package {stripped}", PATH=path).returncode == 1


def test_an_interpreter_with_ensurepip_needs_no_package() -> None:
    asked = run(f"venv_package {sys.executable}")
    assert (asked.returncode, asked.stdout) == (0, "")


@pytest.mark.parametrize(
    ("version", "supported"), [((3, 10), False), ((3, 11), True), ((3, 13), True), ((3, 14), False)]
)
def test_only_cpython_311_to_313_is_supported(
    tmp_path: Path, version: tuple[int, int], supported: bool
) -> None:
    # This interpreter, reporting another version (pyproject.toml: >=3.11,<3.14).
    (tmp_path / "sitecustomize.py").write_text(
        f"import sys\nsys.version_info = ({version[0]}, {version[1]}, 0, 'final', 0)\n"
    )
    python = script(tmp_path / "python", f'PYTHONPATH={tmp_path} exec {sys.executable} "$@"')
    assert (run(f"python_supported {python}").returncode == 0) is supported
