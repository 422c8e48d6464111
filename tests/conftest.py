"""Shared fixtures. The environment is set at import, before any model library loads:
no display, no network for Hugging Face, no remote cost map for litellm, and no OS
keyring (the vault key goes to a key file in each test's data directory), and no
embedded LLM unless a test asks for it."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["MIRIX_APP_KEYRING"] = "off"
# Tests expect the rule-based floor unless they turn the embedded model on themselves.
os.environ["MIRIX_APP_LOCAL_LLM"] = "off"
# No test looks for the developer's own model servers (Ollama, LM Studio, ...).
os.environ["MIRIX_APP_LOCAL_SERVER_PORTS"] = ""

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from agents import Assistant, open_assistant
from storage import Storage
from tests.fakes import FakeEmbedder, MemoryKeyring
from tests.llm_server import ScriptedLLMServer
from tests.postgres import PostgresServer, start_server

WAYLAND_SESSION = (
    "WAYLAND_DISPLAY",
    "XDG_SESSION_TYPE",
    "SWAYSOCK",
    "HYPRLAND_INSTANCE_SIGNATURE",
    "DBUS_SESSION_BUS_ADDRESS",
)


@pytest.fixture(autouse=True)
def _no_home_leak(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch the user's real data directory."""
    monkeypatch.setenv("MIRIX_APP_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("MIRIX_APP_KEYRING", "off")  # never the user's real keyring
    monkeypatch.setenv("MIRIX_APP_LOCAL_LLM", "off")
    # Nor the developer's own model servers: a test that wants one starts its own.
    monkeypatch.setenv("MIRIX_APP_LOCAL_SERVER_PORTS", "")
    # Nor the developer's Wayland desktop: a test that wants one makes its own.
    for name in WAYLAND_SESSION:
        monkeypatch.delenv(name, raising=False)
    # Processes showing mirix-app windows register there (agents.capture.own).
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def storage(data_dir: Path) -> Iterator[Storage]:
    with Storage.open(data_dir) as opened:
        yield opened


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def assistant(data_dir: Path, embedder: FakeEmbedder) -> Iterator[Assistant]:
    app = open_assistant(data_dir, embedder=embedder)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def llm_server() -> Iterator[ScriptedLLMServer]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (see tests/llm_server.py)."""
    with ScriptedLLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL (with pgvector) for the whole test session."""
    yield from start_server()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped after it."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An OS keyring held in memory, in use for the test (MIRIX_APP_KEYRING on)."""
    monkeypatch.setenv("MIRIX_APP_KEYRING", "on")
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
