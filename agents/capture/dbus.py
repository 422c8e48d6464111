"""The D-Bus session bus, through jeepney (pure Python, maintained): the only
module of the project that imports it.

:class:`SessionBus` opens one connection lazily, in the thread that first uses
it (capture runs on its own thread), and turns every failure into a
:class:`~agents.capture.errors.DBusError` with a plain message and the D-Bus
error name. :meth:`SessionBus.request` is the desktop portal's way of
answering: the method returns a Request object at once and the result comes
later as that object's ``Response`` signal.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any

from agents.capture.errors import DBusError

BUS_DAEMON = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
PROPERTIES = "org.freedesktop.DBus.Properties"
# Error names a caller tells apart: the service or its method is not there.
NOT_THERE = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownInterface",
        "org.freedesktop.DBus.Error.UnknownProperty",
        "org.freedesktop.DBus.Error.InvalidArgs",
        "org.freedesktop.DBus.Error.NotSupported",
        "org.freedesktop.DBus.Error.Spawn.ChildExited",
    }
)


class SessionBus:
    """One connection to the session bus (``address``, else $DBUS_SESSION_BUS_ADDRESS)."""

    def __init__(self, address: str | None = None, *, timeout_s: float = 5.0) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self._conn: Any = None

    def _connection(self) -> Any:
        if self._conn is None:
            from jeepney.io.blocking import open_dbus_connection

            address = self.address or os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
            if not address:
                raise DBusError(
                    "There is no D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS is unset)."
                )
            try:
                self._conn = open_dbus_connection(bus=address, auth_timeout=self.timeout_s)
            except (OSError, RuntimeError, ValueError, KeyError) as exc:
                raise DBusError(f"Cannot connect to the D-Bus session bus: {exc}.") from None
        return self._conn

    def call(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        *,
        timeout_s: float | None = None,
        start: bool = True,
    ) -> tuple[Any, ...]:
        """Call ``method`` and return the reply's values; a D-Bus error raises DBusError.
        ``start`` False: the bus does not start a service that is not running."""
        from jeepney import DBusAddress, HeaderFields, MessageFlag, MessageType, new_method_call

        conn = self._connection()
        message = new_method_call(
            DBusAddress(path, destination, interface), method, signature, body
        )
        if not start:
            message.header.flags |= MessageFlag.no_auto_start
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            reply = conn.send_and_get_reply(message, timeout=limit)
        except TimeoutError:
            raise DBusError(f"{destination} did not answer {method} within {limit:g} s.") from None
        except OSError as exc:
            self.close()  # the bus went away: a later call connects again
            raise DBusError(f"The D-Bus session bus closed ({exc}).") from None
        if reply.header.message_type is MessageType.error:
            name = str(reply.header.fields.get(HeaderFields.error_name, ""))
            text = str(reply.body[0]) if reply.body else name
            raise DBusError(f"{destination}: {text}", name=name)
        return tuple(reply.body)

    def property(self, destination: str, path: str, interface: str, name: str) -> Any:
        """One property's value (the variant unwrapped)."""
        (variant,) = self.call(destination, path, PROPERTIES, "Get", "ss", (interface, name))
        return variant[1]

    def request(
        self,
        destination: str,
        path: str,
        interface: str,
        method: str,
        signature: str,
        args: tuple[Any, ...],
        options: dict[str, tuple[str, Any]],
        *,
        timeout_s: float,
    ) -> tuple[int, dict[str, Any]]:
        """Call a portal method whose last argument is its ``a{sv}`` options, and wait
        for the Request's Response: (response code, results with variants unwrapped).
        Codes: 0 success, 1 cancelled or refused by the user, 2 ended another way."""
        from jeepney import HeaderFields, MatchRule, MessageType

        conn = self._connection()
        token = "mirix_" + secrets.token_hex(8)
        sender = str(conn.unique_name).lstrip(":").replace(".", "_")
        expected = {f"/org/freedesktop/portal/desktop/request/{sender}/{token}"}
        rule = MatchRule(type="signal", interface=REQUEST_INTERFACE, member="Response")
        # Subscribe before calling, so an immediate Response is not missed.
        self.call(*BUS_DAEMON, "AddMatch", "s", (rule.serialise(),))
        try:
            with conn.filter(rule, bufsize=8) as queue:
                body = (*args, {**options, "handle_token": ("s", token)})
                (handle,) = self.call(destination, path, interface, method, signature, body)
                expected.add(str(handle))  # portals before 0.9 ignore handle_token
                while True:
                    try:
                        signal = conn.recv_until_filtered(queue, timeout=timeout_s)
                    except TimeoutError:
                        raise DBusError(
                            f"{destination} did not answer {method} within {timeout_s:g} s."
                        ) from None
                    except OSError as exc:
                        self.close()
                        raise DBusError(f"The D-Bus session bus closed ({exc}).") from None
                    where = signal.header.fields.get(HeaderFields.path)
                    if signal.header.message_type is MessageType.signal and where in expected:
                        break
        finally:
            if self._conn is not None:
                with contextlib.suppress(DBusError):
                    self.call(*BUS_DAEMON, "RemoveMatch", "s", (rule.serialise(),))
        code, results = signal.body
        return int(code), {key: value[1] for key, value in dict(results).items()}

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
