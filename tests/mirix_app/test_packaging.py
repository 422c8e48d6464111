"""The wheel built from the checkout holds every module and assets/, installs into
a fresh virtual environment, and ``mirix-app --help`` runs from it.

The fresh environment gets the wheel only; its dependencies are borrowed from the
running environment through a path file (installing torch again would take
minutes and the network), and the test checks that mirix_app really is imported
from the fresh environment, not from this checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mirix_app", "agents", "storage")


def _checkout_copy(target: Path) -> Path:
    for name in ("pyproject.toml", "README.md", "assets", *PACKAGES):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, target / name)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = _checkout_copy(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("mirix_app-*.whl")
    return built


def test_wheel_holds_every_module_and_the_assets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    missing = sorted(modules - names)
    assert not missing, f"add their packages to [tool.setuptools] packages: {missing}"
    for asset in (ROOT / "assets").iterdir():
        if asset.suffix in (".svg", ".png", ".desktop", ".jsonl"):
            assert f"mirix_app/assets/{asset.name}" in names
    translations = list((ROOT / "assets" / "translations").glob("*.qm"))
    assert translations
    for compiled in translations:
        assert f"mirix_app/assets/translations/{compiled.name}" in names


def test_wheel_installs_in_a_fresh_venv_and_runs_help(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # A clean environment: no PYTHONPATH pointing at the checkout, no active venv.
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        env=env,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from the running environment, after the fresh one's own packages.
    (Path(site) / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    result = subprocess.run(
        [str(env_dir / "bin" / "mirix-app"), "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: mirix-app" in result.stdout and "desktop app" in result.stdout

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import mirix_app, mirix_app.gui.assets as a; print(mirix_app.__file__); "
            "print(a.asset_path('tray-paused.svg')); "
            "print(a.asset_path('translations/mirix_zh_CN.qm'))",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr
    module_file, icon, translation = where.stdout.split()
    assert all(p.startswith(str(env_dir)) for p in (module_file, icon, translation))
