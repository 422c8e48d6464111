"""A real Wayland desktop for capture tests: headless sway, the desktop portal on a
private session bus, and foot windows showing known text.

sway refuses to run as root ("Unable to drop root"), and CI runs as root: there
sway and its windows run as an unprivileged user made for the test (``useradd``,
``runuser -u USER --``) with its own XDG_RUNTIME_DIR (mode 0700). The session
bus, PipeWire (xdg-desktop-portal-wlr will not start without it) and the portals
run as the test's own user, as mirix-app does: they reach sway through the
absolute paths of its sockets. Run as an ordinary user, everything runs as that
user.

Tests skip with the missing packages named, or fail instead where
``MIRIX_APP_REQUIRE_WAYLAND=1`` (``.ci/run`` sets it and installs them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USER = "mirix-wayland"
"""The unprivileged user sway and its windows run as when the tests run as root."""
PACKAGES = {
    "sway": "sway",
    "foot": "foot",
    "grim": "grim",
    "dbus-daemon": "dbus-daemon",
    "pipewire": "pipewire",
    "xdg-desktop-portal": "xdg-desktop-portal",
    "xdg-desktop-portal-wlr": "xdg-desktop-portal-wlr",
    "xdg-desktop-portal-gtk": "xdg-desktop-portal-gtk",
}
LIBEXEC = ("/usr/libexec", "/usr/lib", "/usr/lib/xdg-desktop-portal", "/usr/local/libexec")
FONT = "monospace:size=22"


def find_program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in LIBEXEC:
        path = Path(base) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get("MIRIX_APP_REQUIRE_WAYLAND") == "1":
        pytest.fail(f"{reason} (MIRIX_APP_REQUIRE_WAYLAND=1)")
    pytest.skip(reason)


@dataclass
class SwaySession:
    env: dict[str, str]
    """The environment of a program of this session (mirix-app): WAYLAND_DISPLAY and
    SWAYSOCK as absolute paths, the private bus, XDG_CURRENT_DESKTOP=sway."""
    user: str | None
    user_env: dict[str, str]
    procs: list[tuple[subprocess.Popen[bytes], int | None]] = field(default_factory=list)
    """What runs, each with the process id to signal where that is not the Popen's."""

    def as_user(self, argv: list[str], **env: str) -> list[str]:
        pairs = [f"{k}={v}" for k, v in {**self.user_env, **env}.items()]
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, "env", "-i", *pairs, *argv]

    @contextlib.contextmanager
    def window(self, text: str, *, app_id: str, title: str) -> Iterator[int]:
        """A foot terminal showing ``text``, focused; yields foot's process id."""
        from agents.capture.sway import SwayProbe

        script = f"printf '%s\\n' '{text}'; exec sleep 600"
        argv = ["foot", "--app-id", app_id, "--title", title, "--font", FONT, "sh", "-c", script]
        proc = subprocess.Popen(
            self.as_user(argv),
            cwd=self.user_env["HOME"],  # the test's own folder may be closed to the user
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = SwayProbe(self.env["SWAYSOCK"])
        client: int | None = None
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                active = probe.active_window()
                if active.app == app_id and active.title == title:
                    time.sleep(0.5)  # let it draw its text
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"the foot window {title!r} did not appear on sway")
            client = active.pid
            assert client is not None
            yield client
        finally:
            _stop(proc, client)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(
                w.title == title for w in probe.visible_windows()
            ):
                time.sleep(0.05)
            probe.close()


@contextlib.contextmanager
def sway(width: int = 1280, height: int = 720) -> Iterator[SwaySession]:
    """Headless sway with one output of ``width`` x ``height``, and the portal."""
    missing = sorted({pkg for prog, pkg in PACKAGES.items() if find_program(prog) is None})
    if missing:
        skip_or_fail(
            f"a Wayland session needs {', '.join(missing)} (apt-get install {' '.join(missing)})"
        )
    user = _test_user() if os.geteuid() == 0 else None
    with contextlib.ExitStack() as stack:
        own = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mirix-wl-")))
        own.chmod(0o700)
        runtime = own / "sway"  # sway's XDG_RUNTIME_DIR (and its windows' HOME)
        runtime.mkdir(mode=0o700)
        if user is not None:
            shutil.chown(runtime, user, user)
            own.chmod(0o711)  # the user must reach its directory inside
        config = runtime / "config"
        config.write_text(f"output * resolution {width}x{height}\ndefault_border none\n")
        user_env = {
            "HOME": str(runtime),
            "XDG_RUNTIME_DIR": str(runtime),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "WLR_BACKENDS": "headless",
            "WLR_RENDERER": "pixman",
            "WLR_LIBINPUT_NO_DEVICES": "1",
        }
        session = SwaySession(env={}, user=user, user_env=user_env)
        stack.callback(lambda: [_stop(p, pid) for p, pid in reversed(session.procs)])
        log = stack.enter_context(open(own / "sway.log", "wb"))
        compositor = subprocess.Popen(
            session.as_user(["sway", "-c", str(config)]), cwd=runtime, stderr=log, stdout=log
        )
        display, swaysock = _wait_for_sockets(runtime, compositor, own / "sway.log")
        # sway-ipc.UID.PID.sock: sway's own process id
        session.procs.append((compositor, int(swaysock.name.split(".")[2])))
        user_env["WAYLAND_DISPLAY"] = display.name
        env = {
            "HOME": str(own),
            "XDG_RUNTIME_DIR": str(own),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "WAYLAND_DISPLAY": str(display),
            "SWAYSOCK": str(swaysock),
            "XDG_CURRENT_DESKTOP": "sway",
            "XDG_SESSION_TYPE": "wayland",
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={own / 'bus'}",
        }
        session.env = env
        bus = subprocess.Popen(
            [
                "dbus-daemon",
                "--session",
                "--nofork",
                "--print-address",
                "--address",
                env["DBUS_SESSION_BUS_ADDRESS"],
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        session.procs.insert(0, (bus, None))  # stopped last
        assert bus.stdout is not None
        bus.stdout.readline()  # the address: the bus is up
        bus.stdout.close()
        for program in ("pipewire", "xdg-desktop-portal-wlr", "xdg-desktop-portal"):
            if program != "pipewire":
                _wait_for(lambda: (own / "pipewire-0").exists(), "PipeWire's socket")
            path = find_program(program)
            assert path is not None
            service = subprocess.Popen(
                [path], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            session.procs.append((service, None))
        _wait_for_portal(env)
        yield session


def _test_user() -> str:
    try:
        subprocess.run(["id", "-u", USER], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ],
            check=False,  # another test process may have made it meanwhile
            capture_output=True,
        )
        subprocess.run(["id", "-u", USER], check=True, capture_output=True)
    return USER


def _wait_for_sockets(runtime: Path, sway: subprocess.Popen[bytes], log: Path) -> tuple[Path, Path]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if sway.poll() is not None:
            pytest.fail(f"sway exited ({sway.returncode}): {log.read_text()[-2000:]}")
        displays = [p for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
        ipc = list(runtime.glob("sway-ipc.*.sock"))
        if displays and ipc:
            return displays[0], ipc[0]
        time.sleep(0.05)
    pytest.fail(f"sway did not open its sockets: {log.read_text()[-2000:]}")


def _wait_for_portal(env: dict[str, str]) -> None:
    from agents.capture.dbus import SessionBus
    from agents.capture.errors import NoDisplayError
    from agents.capture.portal import PortalScreenshot

    bus = SessionBus(env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                PortalScreenshot(bus).version()
                return
            except NoDisplayError as exc:
                if time.monotonic() > deadline:
                    pytest.fail(f"the screenshot portal did not come up: {exc}")
            time.sleep(0.1)
    finally:
        bus.close()


def _wait_for(ready: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not appear")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes], pid: int | None = None) -> None:
    """Stop ``proc``; through ``pid`` where that is the real program under runuser
    (runuser passes SIGTERM on, but then waits two seconds before it exits)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid or proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
