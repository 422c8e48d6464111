"""A private D-Bus session bus (a real ``dbus-daemon``) and fake desktop services
on it, each answering from a thread of the test process: the desktop portal's
Screenshot, GNOME's idle monitor, the Window Calls extension. They are fakes of
programs outside the project, at the D-Bus boundary; the project's side (jeepney,
our messages and signals) is real. Tests skip where dbus-daemon is missing (fail
with MIRIX_APP_REQUIRE_WAYLAND=1, as the Wayland tests do).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection
from PIL import Image

from tests.wayland import skip_or_fail

Reply = tuple[str, tuple[Any, ...]]
"""(signature, body) of a method's answer."""
Handler = Callable[[Any], Reply]


CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextlib.contextmanager
def private_bus(activatable: dict[str, str] | None = None) -> Iterator[str]:
    """A dbus-daemon of its own; yields its address. ``activatable`` maps a bus name to
    a shell command the bus runs to start that service (D-Bus activation)."""
    if shutil.which("dbus-daemon") is None:
        skip_or_fail("dbus-daemon is not installed (apt-get install dbus-daemon)")
    with tempfile.TemporaryDirectory(prefix="mirix-bus-") as tmp:
        address = f"unix:path={Path(tmp) / 'bus'}"
        services = Path(tmp) / "services"
        services.mkdir()
        for name, command in (activatable or {}).items():
            (services / f"{name}.service").write_text(
                f"[D-BUS Service]\nName={name}\nExec=/bin/sh -c '{command}'\n"
            )
        config = Path(tmp) / "bus.conf"
        config.write_text(CONFIG.format(address=address, services=services))
        daemon = subprocess.Popen(
            ["dbus-daemon", "--config-file", str(config), "--nofork", "--print-address"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert daemon.stdout is not None
            daemon.stdout.readline()
            daemon.stdout.close()
            yield address
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)


class FakeService:
    """Owns ``name`` on the bus; ``handlers[(interface, method)]`` answers calls.
    A handler may raise ``DBusFault`` to answer with a D-Bus error."""

    def __init__(self, address: str, name: str, handlers: dict[tuple[str, str], Handler]) -> None:
        self.handlers = handlers
        self.calls: list[tuple[str, str]] = []
        self.conn = open_dbus_connection(bus=address)
        Proxy(message_bus, self.conn).RequestName(name, 4)  # replace an existing owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type is not MessageType.method_call:
                continue
            fields = msg.header.fields
            key = (fields.get(HeaderFields.interface, ""), fields.get(HeaderFields.member, ""))
            self.calls.append(key)
            handler = self.handlers.get(key)
            if handler is None:
                error = "org.freedesktop.DBus.Error.UnknownMethod"
                self.conn.send(new_error(msg, error, "s", (f"no method {key[1]}",)))
                continue
            try:
                signature, body = handler(msg)
            except DBusFault as fault:
                self.conn.send(new_error(msg, fault.name, "s", (str(fault),)))
                continue
            self.conn.send(new_method_return(msg, signature, body))

    def emit_to(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        sig: str,
        body: tuple[Any, ...],
    ) -> None:
        signal = new_signal(DBusAddress(path, interface=interface), member, sig, body)
        signal.header.fields[HeaderFields.destination] = destination
        self.conn.send(signal)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.conn.close()


class DBusFault(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class FakePortal:
    """org.freedesktop.portal.Desktop with the Screenshot interface: each screenshot
    is ``screen()`` written to a PNG file under ``folder``, as real portals do;
    ``response`` is the Request's answer code (1: the user refused)."""

    def __init__(self, address: str, folder: Path, screen: Callable[[], Image.Image]) -> None:
        self.folder = folder
        self.screen = screen
        self.response = 0
        self.files: list[Path] = []
        self.service = FakeService(
            address,
            "org.freedesktop.portal.Desktop",
            {
                ("org.freedesktop.DBus.Properties", "Get"): self._get,
                ("org.freedesktop.portal.Screenshot", "Screenshot"): self._screenshot,
            },
        )

    def _get(self, msg: Any) -> Reply:
        interface, name = msg.body
        if (interface, name) != ("org.freedesktop.portal.Screenshot", "version"):
            raise DBusFault("org.freedesktop.DBus.Error.UnknownProperty", name)
        return "v", (("u", 2),)

    def _screenshot(self, msg: Any) -> Reply:
        _parent, options = msg.body
        sender = msg.header.fields[HeaderFields.sender]
        token = options["handle_token"][1]
        handle = f"/org/freedesktop/portal/desktop/request/{sender[1:].replace('.', '_')}/{token}"
        results: dict[str, tuple[str, Any]] = {}
        if self.response == 0:
            path = self.folder / f"screenshot-{len(self.files)}.png"
            self.screen().save(path)
            self.files.append(path)
            results["uri"] = ("s", path.as_uri())
        # The reply first, then the Response signal, as the portal sends them.
        threading.Timer(
            0.01,
            self.service.emit_to,
            (
                sender,
                handle,
                "org.freedesktop.portal.Request",
                "Response",
                "ua{sv}",
                (self.response, results),
            ),
        ).start()
        return "o", (handle,)

    def close(self) -> None:
        self.service.close()


def gnome_idle(address: str, idle_ms: Callable[[], int]) -> FakeService:
    """GNOME's org.gnome.Mutter.IdleMonitor answering ``idle_ms()``."""
    return FakeService(
        address,
        "org.gnome.Mutter.IdleMonitor",
        {("org.gnome.Mutter.IdleMonitor", "GetIdletime"): lambda _m: ("t", (idle_ms(),))},
    )


def window_calls(address: str, windows: Callable[[], list[dict[str, Any]]]) -> FakeService:
    """GNOME Shell with the Window Calls extension; List answers ``windows()`` as JSON,
    leaving the titles to GetTitle (the probe asks it where List has no title)."""
    import json

    def listing(_msg: Any) -> Reply:
        return "s", (json.dumps([{k: v for k, v in w.items() if k != "title"} for w in windows()]),)

    def title(msg: Any) -> Reply:
        (wanted,) = msg.body
        for w in windows():
            if w["id"] == wanted:
                return "s", (w["title"],)
        raise DBusFault("org.freedesktop.DBus.Error.Failed", "Not found")

    interface = "org.gnome.Shell.Extensions.Windows"
    return FakeService(
        address,
        "org.gnome.Shell",
        {(interface, "List"): listing, (interface, "GetTitle"): title},
    )
