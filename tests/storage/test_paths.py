"""storage/paths.py: where the data lives and its permissions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage import Storage, resolve_data_dir
from storage.paths import DB_FILENAME, ensure_data_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_explicit_dir_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRIX_APP_HOME", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_data_dir(None) == tmp_path / "env"


def test_default_is_the_platform_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIRIX_APP_HOME")
    resolved = resolve_data_dir(None)
    assert resolved.name == "mirix-app"
    assert resolved.is_absolute()


def test_open_creates_a_user_only_directory_and_database(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "data"
    with Storage.open(target) as s:
        assert s.data_dir == target
    assert _mode(target) == 0o700
    assert _mode(target / DB_FILENAME) == 0o600


def test_an_existing_open_directory_is_tightened(tmp_path: Path) -> None:
    target = tmp_path / "loose"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    ensure_data_dir(target)
    assert _mode(target) == 0o700


def test_environment_variable_is_used_by_storage_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRIX_APP_HOME", str(tmp_path / "from-env"))
    with Storage.open() as s:
        assert s.data_dir == tmp_path / "from-env"
    assert (tmp_path / "from-env" / DB_FILENAME).exists()
