"""The Assistant facade: what the CLI and the desktop app call.

It owns no state of its own beyond the object graph that :func:`open_assistant`
(the composition root) builds: the vault cipher, storage, then the embedder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.capture import CaptureResult, PauseFlag
from agents.capture.build import (
    build_capturer,
    capture_once,
    capture_service,
    queued_sink,
    stored_sink,
)
from agents.capture.errors import WindowsUnknownError
from agents.capture.service import CaptureService, EventHandler
from agents.capture.session import OPT_IN_SETTING, check_windows_known, open_backend
from agents.chat import ChatAgent, ChatAnswer
from agents.chat.topic import check_mode
from agents.database_url import database_url_of, open_storage
from agents.embeddings import TextEmbedder, embed_queries, text_embedder
from agents.errors import AgentError
from agents.ingest import ImportReport, Progress, import_messages
from agents.llm import (
    LocalModelSettings,
    LocalServer,
    client_for,
    find_local_servers,
    parse_ports,
    warm_up,
)
from agents.memory_agents import Absorber, AbsorbReport, BatchProgress, next_try_at
from agents.reembed import reembed, rows_to_reembed
from agents.screens.importer import Progress as ScreenProgress
from agents.screens.importer import ScreenImportReport
from agents.screens.key_frames import shareable_image
from agents.screens.search import ScreenHit
from agents.screens.service import ScreenService
from agents.settings import SETTINGS, LiveSettings, Settings
from agents.timeline import Timeline, build_timeline
from agents.vault_key import KeySource, VaultCipher
from storage import (
    MEMORY_TYPE_NAMES,
    ForgetPlan,
    ForgetReport,
    ForgetScope,
    HistoryEntry,
    Hit,
    InvalidInputError,
    Query,
    Record,
    SourceRef,
    Storage,
    kind_named,
    resolve_data_dir,
)
from storage.batches import Batch
from storage.inputs import clean_text
from storage.kinds import (
    CORE,
    SCREENSHOT,
    embedding_text,
    format_time,
    validate_fields,
)
from storage.paths import ensure_data_dir
from storage.periods import asked_period
from storage.when import parse_bound

SEARCHABLE_TYPES: tuple[str, ...] = (*MEMORY_TYPE_NAMES, "message", "screenshot")


@dataclass
class Assistant:
    storage: Storage
    embedder: TextEmbedder
    vault: VaultCipher | None = None
    live_settings: LiveSettings | None = None
    """The one settings object every part reads where it uses a value (by default,
    the data directory's, following ``settings.json`` as it changes)."""
    screen_service: ScreenService | None = None
    """Built from the settings on first use (a test may hand in its own)."""

    def __post_init__(self) -> None:
        if self.live_settings is None:
            self.live_settings = LiveSettings(self.storage.data_dir)

    @property
    def settings(self) -> Settings:
        """The settings in use now (re-read when ``settings.json`` changed)."""
        assert self.live_settings is not None
        return self.live_settings.current()

    # -- search ------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        types: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        limit: int = 10,
        asked_at: datetime | None = None,
    ) -> list[Hit]:
        """Hits for ``text``, best first. A period the text speaks of ("last month")
        is read against ``asked_at`` (default now) and preferred, not required."""
        text = clean_text(text)
        if not text.strip():
            raise InvalidInputError("The search query is empty.")
        if limit < 1:
            raise InvalidInputError("--limit must be at least 1.")
        kinds = tuple(kind_named(t) for t in (types or SEARCHABLE_TYPES))
        since_t = parse_bound(since, what="--since") if since else None
        until_t = parse_bound(until, what="--until", end=True) if until else None
        if since_t and until_t and since_t > until_t:
            raise InvalidInputError("--since is after --until.")
        vector = embed_queries(self.embedder, [text])[0]
        # Screenshots rank as in screens search: by their image too, with a CLIP model.
        clip = self.screens.clip if SCREENSHOT in kinds else None
        query = Query(
            text=text,
            vector=vector,
            kinds=kinds,
            since=since_t,
            until=until_t,
            limit=limit,
            image_vector=clip.embed_texts([text])[0] if clip is not None else None,
            period=asked_period(text, asked_at),
        )
        return self.storage.search.run(query, screen_params=self.screens.params)

    # -- memories ----------------------------------------------------------------------

    # Every write takes ``by``: who makes the new version, kept with it (see
    # Record.changed_by); None is mirix-app itself, "mcp:<client>" another AI tool.

    def add(
        self,
        type_name: str,
        body: dict[str, Any],
        *,
        sources: Sequence[SourceRef] = (),
        by: str | None = None,
    ) -> Record:
        kind = kind_named(type_name)
        if not kind.is_memory:
            raise InvalidInputError(
                f"{type_name} is a raw source; use 'import messages' to add messages."
            )
        store = self.storage.memories[kind.name]
        vector = self._embed_fields(kind.name, validate_fields(kind, body))
        return store.add(body, embedding=vector, sources=sources, by=by)

    def show(self, item_id: str) -> Record:
        return self.storage.store_for_id(item_id).get(item_id)

    def edit(self, item_id: str, changes: dict[str, Any], *, by: str | None = None) -> Record:
        store = self.storage.memory_store_for_id(item_id)
        current = store.get(item_id)
        merged = validate_fields(store.kind, {**current.fields, **changes})
        vector = self._embed_fields(store.kind.name, merged)
        return store.update(item_id, changes, embedding=vector, by=by)

    def delete(self, item_id: str, *, by: str | None = None) -> Record:
        return self.storage.memory_store_for_id(item_id).delete(item_id, by=by)

    def restore(self, item_id: str, *, by: str | None = None) -> Record:
        return self.storage.memory_store_for_id(item_id).restore(item_id, by=by)

    def browse(
        self,
        type_name: str,
        *,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Record]:
        """Memories or raw sources of one type, newest first (the memory browser's lists)."""
        kind = kind_named(type_name)
        since_t = parse_bound(since, what="since") if since else None
        until_t = parse_bound(until, what="until", end=True) if until else None
        return self.storage.store_for_kind(kind.name).list(
            limit=limit, offset=offset, since=since_t, until=until_t
        )

    def history(self, item_id: str) -> list[HistoryEntry]:
        return self.storage.memory_store_for_id(item_id).history(item_id)

    def core_append(self, label: str, line: str) -> Record:
        return self._core_embedded(self.storage.core.append(label, line))

    def core_replace_line(self, label: str, number: int, line: str) -> Record:
        return self._core_embedded(self.storage.core.replace_line(label, number, line))

    def core_rewrite(self, label: str, text: str) -> Record:
        return self._core_embedded(self.storage.core.rewrite(label, text))

    def _core_embedded(self, block: Record) -> Record:
        """Core edits are line operations; refresh the block's vector afterwards."""
        text = embedding_text(CORE, block.fields)
        # An emptied block drops its vector: it must not be found by the old text.
        vector = self.embedder.embed([text])[0] if text else None
        self.storage.core.set_embedding(block.id, vector)
        return block

    def _embed_fields(self, type_name: str, stored: dict[str, Any]) -> Any:
        text = embedding_text(kind_named(type_name), stored)
        return self.embedder.embed([text])[0] if text.strip() else None

    # -- chat (agents.chat) --------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        session: str | None = None,
        on_token: Callable[[str], None] | None = None,
        retry: bool = False,
    ) -> ChatAnswer:
        """Answer with active retrieval, streaming to ``on_token``; the exchange is
        stored in ``session`` (a new one when None) and queued for the memory agents.
        Raises LLMError (the user's message is stored already) when the model fails;
        ``retry`` then answers that stored message instead of storing it again."""
        session = clean_text(session) if session is not None else None
        return self._chat().ask(
            clean_text(question), session=session, on_token=on_token, retry=retry
        )

    def chat_history(self, session: str | None = None, limit: int = 200) -> list[Record]:
        """Stored chat messages (of one session, or of all), oldest first."""
        return self._chat().history(session, limit)

    def _chat(self) -> ChatAgent:
        return ChatAgent(
            self.storage,
            self.embedder,
            self.settings.llm(),
            topic_mode=check_mode(self.settings.text("chat_topic")),
            per_type=self.settings.integer("chat_memories_per_type"),
            batch_items=self.settings.integer("batch_items"),
            redact_local=self.settings.flag("redact_local"),
        )

    # -- bulk --------------------------------------------------------------------------

    def import_messages(
        self, path: Path, *, skip_invalid: bool = False, progress: Progress | None = None
    ) -> ImportReport:
        # With an LLM configured, the new messages are also queued for the memory agents.
        batch = self.settings.integer("batch_items") if self.settings.llm() is not None else None
        return import_messages(
            self.storage,
            self.embedder,
            path,
            skip_invalid=skip_invalid,
            progress=progress,
            batch_items=batch,
        )

    def absorb(
        self, progress: BatchProgress | None = None, *, due_only: bool = False
    ) -> AbsorbReport:
        """Run the memory agents over the pending batches (see agents.memory_agents);
        ``due_only`` leaves failed batches that are still waiting out their back-off.

        Without an LLM configured it does nothing: the rule-based floor is in use."""
        settings = self.settings.llm()
        if settings is None:
            pending = len(self.storage.batches.pending())
            return AbsorbReport(
                mode="rule-based floor",
                message="No LLM is configured: the rule-based floor is in use and the memory "
                f"agents did not run ({pending} batch(es) pending).",
            )
        seal_after_s = 60 * self.settings.number("batch_minutes")
        absorber = Absorber(
            self.storage,
            self.embedder,
            settings,
            seal_after_s=seal_after_s,
            redact_local=self.settings.flag("redact_local"),
            key_frames=self.settings.integer("vision_key_frames"),
            images=self.settings.text("llm_images"),
        )
        return absorber.absorb(progress, due_only=due_only)

    def absorb_due(self) -> AbsorbReport | None:
        """The background step the desktop app and ``capture run`` take every
        minute: queue the screen frames whose batch is due (``batch_minutes`` counts
        even while the screen is static), then absorb what is pending. None when no
        LLM is configured (the rule-based floor needs no agents)."""
        if self.screen_service is not None:
            self.screen_service.poll_batches()
        if self.settings.llm() is None:
            return None
        return self.absorb(due_only=True)

    def batches(self) -> list[dict[str, Any]]:
        """The batches not yet done, oldest first: filling (the open batch of chat
        turns), waiting, retrying (failed before; when the background run tries
        again) and given up."""
        return [_batch_summary(b) for b in self.storage.batches.listed(("pending", "failed"))]

    def give_up_batch(self, batch_id: str) -> dict[str, Any]:
        """Stop retrying a batch (a provider that always refuses its content, say):
        its messages and screenshots stay stored and searchable; no memories are
        made from them unless it is retried."""
        return _batch_summary(self.storage.batches.give_up(batch_id))

    def retry_batch(self, batch_id: str) -> dict[str, Any]:
        """Queue a given-up batch again; the next run of the memory agents takes it."""
        return _batch_summary(self.storage.batches.requeue(batch_id))

    # -- forgetting -------------------------------------------------------------------

    def forget_plan(
        self,
        *,
        ids: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        app: str | None = None,
    ) -> ForgetPlan:
        """What :meth:`forget` would take away: messages, screenshots, the memories
        made only from them, and the memories that keep other sources."""
        return self.storage.forget_plan(_forget_scope(ids, since, until, app))

    def forget(
        self,
        *,
        ids: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        app: str | None = None,
    ) -> ForgetReport:
        """Forget recorded messages and screenshots for good, by id or by time (and
        application): with their files, index entries, vectors, the memories made
        only from them (and their history), batch items, and frames of that time
        still waiting for OCR (see storage.forget). Cannot be undone."""
        scope = _forget_scope(ids, since, until, app)
        waiting = 0 if scope.ids else self.screens.forget_waiting(scope)
        report = self.storage.forget(scope, files=self.screens.files())
        report.frames_waiting = waiting
        return report

    # -- screenshots (agents/screens) ---------------------------------------------------

    @property
    def screens(self) -> ScreenService:
        if self.screen_service is None:
            assert self.live_settings is not None
            self.screen_service = ScreenService(self.storage, self.embedder, self.live_settings)
        return self.screen_service

    def import_screens(
        self, manifest: Path, *, dedup: bool = True, progress: ScreenProgress | None = None
    ) -> ScreenImportReport:
        return self.screens.import_manifest(manifest, dedup=dedup, progress=progress)

    def reindex(self, progress: ScreenProgress | None = None) -> int:
        """Embed anew every row whose vector another embedding model made (after
        the ``embedder`` setting changed); how many. Safe to interrupt."""
        return reembed(self.storage, self.embedder, progress)

    def reindex_screens(self, progress: ScreenProgress | None = None) -> int:
        """Chunk embeddings for screenshots kept before they existed (schema v6), so
        search compares a question with their parts too; how many were done."""
        return self.screens.reindex(progress)

    def screens_search(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        app: str | None = None,
        limit: int = 20,
        asked_at: datetime | None = None,
    ) -> list[ScreenHit]:
        """Screens for ``query``; a period it speaks of ("yesterday") is read against
        ``asked_at`` (default now) and preferred."""
        app = clean_text(app) if app is not None else None
        return self.screens.search(
            clean_text(query), since=since, until=until, app=app, limit=limit, asked_at=asked_at
        )

    def screen_activity(self, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
        """(hour "YYYY-MM-DDTHH", app, kept frames) for the activity view."""
        return self.screens.activity(since, until)

    def screen_image(self, screenshot_id: str) -> bytes | None:
        """A kept frame as it may leave the machine: its sensitive text blacked out,
        scaled to at most 1280 pixels, JPEG (as a key frame); None when its image was
        deleted or its sensitive boxes are not known."""
        return shareable_image(self.storage, screenshot_id)

    def timeline(
        self, since: str, until: str, *, limit: int = 200, redacted: bool = False
    ) -> Timeline:
        """What was on screen, said and recorded as events between two times, from the
        stored rows (no LLM); see agents.timeline."""
        return build_timeline(self.storage, since, until, limit=limit, redacted=redacted)

    def export(self, path: Path, *, reveal_secrets: bool = True) -> int:
        """Write everything to ``path`` (mode 0600: it may hold vault secrets).

        ``reveal_secrets`` writes vault secrets decrypted, so the file imports into
        any data directory; otherwise they stay encrypted and import only where
        the same vault key is in use.
        """
        tmp = path.with_name(path.name + ".partial")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8") as out:
                count = self.storage.export_to(out, reveal_secrets=reveal_secrets)
            tmp.replace(path)  # a crash mid-export never leaves a truncated file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InvalidInputError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        return count

    def import_export(self, path: Path, *, replace: bool = False) -> dict[str, int]:
        return self.storage.import_file(path, replace=replace)

    def stats(self) -> dict[str, Any]:
        info = self.storage.stats()
        info["screenshots"] = self.screens.usage()
        if self.vault is not None:
            info["vault_key"] = self.vault.describe()
        return info

    def vault_key_status(self) -> dict[str, str] | None:
        """Where the vault key is kept: ``{"backend": "keyring" | "key-file",
        "location": ...}`` (for ``status``); None when secrets are not encrypted."""
        return self.vault.describe() if self.vault is not None else None

    # -- live capture (agents/capture) -------------------------------------------------

    def capture_once(self) -> CaptureResult:
        """Grab every monitor now and keep what is new (OCR included) before returning
        (frames a crashed capture left waiting for OCR are kept too, in the background)."""
        pipeline = self.screens.pipeline()
        pipeline.recover()
        assert self.live_settings is not None
        capturer = build_capturer(self.storage, self.live_settings, stored_sink(pipeline))
        return capture_once(capturer)

    def capture_service(self, on_event: EventHandler | None = None) -> CaptureService:
        """Capture on a thread (call start()); kept frames queue for OCR and storage,
        after any a crashed capture left waiting."""
        pipeline = self.screens.pipeline()
        pipeline.recover()
        sink = queued_sink(pipeline)
        assert self.live_settings is not None
        capturer = build_capturer(self.storage, self.live_settings, sink)
        return capture_service(capturer, on_event)

    def capture_backend(self) -> dict[str, Any]:
        """How capture would run here and why (for ``status``): the session, how the
        screen and the windows are read, and ``blocked``: why capture does not start by
        itself (the windows cannot be identified and the user has not chosen to capture
        anyway), else None."""
        backend = open_backend()
        try:
            info = backend.describe()
            opted_in = self.settings.flag(OPT_IN_SETTING)
            try:
                check_windows_known(backend, opted_in)
                info["blocked"] = None
            except WindowsUnknownError as exc:
                info["blocked"] = str(exc)
            info["rules_off_by_choice"] = bool(backend.windows_unknown and opted_in)
            return info
        finally:
            backend.close()

    def capture_pause(self, reason: str = "paused by the user") -> None:
        PauseFlag(self.storage.data_dir).set(reason)

    def capture_resume(self) -> None:
        PauseFlag(self.storage.data_dir).clear()

    # -- settings and status ------------------------------------------------------------

    def config(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "value": self.settings.values.get(s.name, s.default),
                "source": self.settings.sources.get(s.name, "default"),
                "default": s.default,
                "help": s.help,
            }
            for s in SETTINGS
        ]

    def set_config(self, name: str, raw: str) -> None:
        """Validate (the one schema, agents.settings) and store one setting; a running
        capture, the screen pipeline and the memory agents use it from then on."""
        assert self.live_settings is not None
        self.live_settings.set(name, raw)

    def status(self) -> dict[str, Any]:
        """What is in use: data, embedder, LLM (or the rule-based floor), vault key, and
        how screen capture runs here."""
        stats = self.storage.stats()
        llm = self.settings.llm()
        llm_info: dict[str, str | None]
        if isinstance(llm, LocalModelSettings):
            llm_info = {
                "mode": "local",
                "model": llm.model,
                "path": llm.model_path,
                "reason": self.settings.local_llm().reason,
            }
        elif llm is not None:
            key = f"environment variable {llm.api_key_env}" if llm.api_key_env else "OS keyring"
            llm_info = {
                "mode": "provider",
                "model": llm.model,
                "api_base": llm.api_base,
                "api_key_from": key,
            }
        else:
            llm_info = {
                "mode": "rule-based floor",
                "reason": f"no llm_model configured, and {self.settings.local_llm().reason}",
            }
        counts = stats["counts"]
        return {
            "data_dir": stats["data_dir"],
            "database": stats["database"],
            "database_bytes": stats["database_bytes"],
            "memories": sum(counts[t]["live"] for t in MEMORY_TYPE_NAMES),
            "messages": counts["message"]["live"],
            "batches": self.storage.batches.counts(),
            "retrying_batches": [
                {
                    "id": b.id,
                    "attempts": b.attempts,
                    "last_error": b.last_error,
                    "next_try_at": format_time(next_try_at(b)),
                }
                for b in self.storage.batches.retrying()
            ],
            "embedder": {
                "name": self.embedder.name,
                "precision": getattr(self.embedder, "precision", None),
                "dim": self.embedder.dim,
                "rows_to_reindex": rows_to_reembed(self.storage, self.embedder),
            },
            "llm": llm_info,
            "vault_key": self.vault_key_status(),
            "capture": self.capture_backend(),
        }

    def local_servers(self) -> list[LocalServer]:
        """Model servers running on this computer (127.0.0.1, the ``local_server_ports``),
        with their models; see agents.llm.discovery. Nothing is configured."""
        return find_local_servers(parse_ports(self.settings.texts("local_server_ports")))

    def warm_up_llm(self) -> bool:
        """Load the configured provider's client library now (see agents.llm.warm_up);
        False when there is no provider (no model, or the embedded one)."""
        settings = self.settings.llm()
        if settings is None or isinstance(settings, LocalModelSettings):
            return False
        warm_up(settings)
        return True

    def llm_test(self) -> dict[str, Any]:
        """One small call to the configured provider; raises LLMError with a plain
        message when it cannot answer."""
        settings = self.settings.llm()
        if settings is None:
            raise AgentError(
                f"No LLM is configured and {self.settings.local_llm().reason}; set one with: "
                "mirix-app config set llm_model openai/gpt-4o-mini (see README, Configure an LLM)."
            )
        client = client_for(settings)
        started = time.perf_counter()
        reply = client.complete(
            [{"role": "user", "content": "Reply with the single word: ready"}],
            operation="llm-test",
            max_tokens=8,
        )
        return {
            "model": settings.model,
            "reply": reply.text.strip(),
            "seconds": round(time.perf_counter() - started, 3),
            "prompt_tokens": reply.usage.prompt_tokens,
            "completion_tokens": reply.usage.completion_tokens,
        }

    def close(self, *, finish_builds: bool = True) -> None:
        """Stop the screen pipeline and close the storage (see :meth:`Storage.close`
        for ``finish_builds``)."""
        if self.screen_service is not None:
            self.screen_service.close()
        self.storage.close(finish_builds=finish_builds)


def _forget_scope(
    ids: Sequence[str], since: str | None, until: str | None, app: str | None
) -> ForgetScope:
    return ForgetScope(
        ids=tuple(ids),
        since=parse_bound(since, what="--since") if since else None,
        until=parse_bound(until, what="--until", end=True) if until else None,
        app=app.strip() if app and app.strip() else None,
    )


def _batch_summary(batch: Batch) -> dict[str, Any]:
    if batch.status == "failed":
        state = "given up"
    elif batch.sealed_at is None:
        state = "filling"
    elif batch.held():
        state = "absorbing"  # a run of the memory agents holds it now
    else:
        state = "retrying" if batch.attempts else "waiting"
    kinds: dict[str, int] = {}
    for item in batch.items:
        kinds[str(item.get("kind"))] = kinds.get(str(item.get("kind")), 0) + 1
    return {
        "id": batch.id,
        "state": state,
        "created_at": batch.created_at,
        "observations": kinds,
        "attempts": batch.attempts,
        "last_error": batch.last_error,
        "next_try_at": format_time(next_try_at(batch)) if state == "retrying" else None,
    }


def open_assistant(
    data_dir: Path | str | None = None,
    *,
    embedder: TextEmbedder | None = None,
    key_source: KeySource | None = None,
) -> Assistant:
    """The composition root: settings -> vault key -> storage -> embedder -> Assistant
    (the LLM client is built from the settings when a call needs it).

    ``key_source`` says where the vault key lives (default: the OS keyring, or a
    key file where there is none or ``MIRIX_APP_KEYRING=off``).
    """
    directory = ensure_data_dir(resolve_data_dir(data_dir))
    live = LiveSettings(directory)
    vault = VaultCipher(directory, key_source)
    storage = open_storage(
        directory, database_url_of(live.current().text("database_url")), cipher=vault
    )
    if embedder is None:
        embedder = text_embedder(
            live.current().text("embedder"), backend=live.current().text("embedder_backend")
        )
    return Assistant(storage=storage, embedder=embedder, vault=vault, live_settings=live)
