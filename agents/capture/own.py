"""mirix-app's own processes: capture never records their windows.

A window is ours when its process id (:attr:`Window.pid`, ``_NET_WM_PID`` on
X11) is

- this process;
- a process that registered itself as showing mirix-app windows (the desktop
  app does when it starts, :meth:`OwnWindows.register`): one file per process
  id in ``$XDG_RUNTIME_DIR/mirix-app/windows`` (else a folder of the user's in
  the temp directory), shared by every data folder, so a ``capture run`` of
  another data folder hides the app's windows too. The file holds the
  process's start time: a process id reused after a crash is not taken for ours;
- or a process started as mirix-app: its command line runs the ``mirix-app``
  program or ``python -m mirix_app``.

Windows whose process is unknown (no ``_NET_WM_PID``) are not ours: Qt sets it
on every window it shows.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from pathlib import Path

from agents.capture.window import Window

PROGRAM = "mirix-app"
MODULE = "mirix_app"
_CACHE_LIMIT = 512


def registry_dir() -> Path:
    """Where running mirix-app processes with windows register (private to the user)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / PROGRAM / "windows"
    return Path(tempfile.gettempdir()) / f"{PROGRAM}-{os.getuid()}" / "windows"


class OwnWindows:
    def __init__(self, registry: Path | None = None) -> None:
        self.registry = registry or registry_dir()
        self._known: dict[tuple[int, str], bool] = {}

    # -- this process --------------------------------------------------------------------

    def register(self) -> None:
        """Say that this process shows mirix-app windows, until :meth:`unregister`.
        Best effort: where the folder cannot be written, the command-line check and
        this process's own id still apply."""
        try:
            for folder in (self.registry.parent, self.registry):
                folder.mkdir(mode=0o700, exist_ok=True)
                if folder.stat().st_uid != os.getuid():  # not ours: never trust it
                    return
            entry = self.registry / str(os.getpid())
            tmp = entry.with_name(f".{entry.name}.tmp")
            tmp.write_text(_start_time(os.getpid()), encoding="ascii")
            tmp.replace(entry)
        except OSError:
            return

    def unregister(self) -> None:
        with contextlib.suppress(OSError):
            (self.registry / str(os.getpid())).unlink()

    # -- any window ----------------------------------------------------------------------

    def owns(self, window: Window) -> bool:
        return window.pid is not None and self.is_own(window.pid)

    def is_own(self, pid: int) -> bool:
        if pid == os.getpid():
            return True
        started = _start_time(pid)
        if not started and not _alive(pid):
            return False
        key = (pid, started)
        found = self._known.get(key)
        if found is None:
            found = self._registered(pid, started) or _started_as_mirix(pid)
            if len(self._known) > _CACHE_LIMIT:
                self._known.clear()
            self._known[key] = found
        return found

    def _registered(self, pid: int, started: str) -> bool:
        entry = self.registry / str(pid)
        try:
            if entry.stat().st_uid != os.getuid():
                return False
            return entry.read_text(encoding="ascii").strip() == started
        except (OSError, UnicodeDecodeError):
            return False


def _start_time(pid: int) -> str:
    """The process's start time (clock ticks since boot, from /proc), or "" where
    it cannot be read (not Linux, or no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _started_as_mirix(pid: int) -> bool:
    """Whether the process runs the mirix-app program or ``-m mirix_app``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    if any(Path(arg).name == PROGRAM for arg in args[:2]):
        return True
    head = args[:4]
    return any(
        flag == "-m" and (module == MODULE or module.startswith(f"{MODULE}."))
        for flag, module in itertools.pairwise(head)
    )
