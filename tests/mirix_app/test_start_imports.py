"""The desktop app's start path loads neither the agents nor the storage layer:
they load on a worker once the tray icon is up (start time, README "Benchmarks")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import sys; from pathlib import Path; "
    "from mirix_app.gui.app import language_setting, prepare_application, Desktop; "
    "language_setting(Path(sys.argv[1])); "
    "print(sorted(m for m in ('agents', 'storage') if m in sys.modules))"
)


def test_starting_the_desktop_app_loads_no_agents_or_storage(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"language": "zh_CN"}', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MIRIX_APP_LANGUAGE"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
