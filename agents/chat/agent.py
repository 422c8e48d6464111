"""The chat agent: one user message in, a streamed answer out, with active retrieval.

Per message: the user's message is stored (and queued for the memory agents) in
one transaction before anything else, so a provider failure loses nothing the
user typed; then the topic (:mod:`agents.chat.topic`), the memories for it
(:mod:`agents.chat.context`), the answer streamed from the model, and the
answer stored and queued the same way. With no LLM configured there is no
answer to pretend: the reply says so and carries the memories found.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from agents.chat.context import (
    relevance_floor,
    relevant,
    render_memories,
    retrieve,
    source_times,
    system_prompt,
)
from agents.chat.topic import derive_topic
from agents.embeddings import TextEmbedder
from agents.errors import LLMBadOutputError
from agents.llm import LLMClient, LLMSettings, LocalModelSettings, UsageCounter, client_for
from storage import Hit, InvalidInputError, Record, Storage
from storage.interface import UnitOfWork
from storage.kinds import now_iso
from storage.sources import CHAT_PREFIX

HISTORY_MESSAGES = 6
MAX_QUESTION_CHARS = 8000
TOPIC_TIMEOUT_S = 15.0
NO_LLM = (
    "No LLM is configured, so there is no answer, only the memories found for your "
    "message (set one up with: mirix-app config set llm_model MODEL; see README, "
    "Configure an LLM)."
)

TokenSink = Callable[[str], None]


@dataclass
class ChatAnswer:
    answer: str
    memories: list[Hit]
    """The memories the model was given (with the no-LLM reply: the ones found): both
    core blocks, and the hits relevant to the message (see agents.chat.context)."""
    topic: str
    session: str
    topic_mode: str = "keywords"
    """keywords, llm, or keywords-fallback (the topic call failed)."""
    answered: bool = True
    """False when no LLM is configured: ``answer`` is then a notice, not an answer."""
    message_ids: list[str] = field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    relevant: list[str] = field(default_factory=list)
    """Ids of the memories that are close to the message (the core blocks only when
    they are): what the answer's "memories used" shows."""

    def sources(self) -> list[dict[str, Any]]:
        """The raw sources behind the memories, each once."""
        seen: dict[str, dict[str, Any]] = {}
        for hit in self.memories:
            for ref in hit.sources:
                seen.setdefault(ref.id, ref.to_dict())
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "answered": self.answered,
            "topic": self.topic,
            "topic_mode": self.topic_mode,
            "session": self.session,
            "memories": [h.to_dict() for h in self.memories],
            "relevant": self.relevant,
            "sources": self.sources(),
            "message_ids": self.message_ids,
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
        }


def new_session() -> str:
    return f"chat-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


class ChatAgent:
    def __init__(
        self,
        storage: Storage,
        embedder: TextEmbedder,
        llm: LLMSettings | None,
        *,
        topic_mode: str = "auto",
        per_type: int = 3,
        batch_items: int = 20,
        usage: UsageCounter | None = None,
        redact_local: bool = False,
    ) -> None:
        self.storage = storage
        self.embedder = embedder
        self.llm = llm
        self.topic_mode = topic_mode
        self.per_type = per_type
        self.batch_items = batch_items
        self.usage = usage or UsageCounter()
        # Screen text in the prompt is redacted as in the memory agents' batches (for a
        # provider unless redact_provider is off, for the embedded model only with
        # redact_local); the LLM client redacts the whole prompt the same way.
        # With no LLM at all, the memories found are only shown to the user.
        local = isinstance(llm, LocalModelSettings)
        self.redact_screens = llm is not None and (llm.redact or (redact_local and local))

    def ask(
        self,
        question: str,
        *,
        session: str | None = None,
        on_token: TokenSink | None = None,
        retry: bool = False,
    ) -> ChatAnswer:
        """Answer ``question`` in ``session``. ``retry``: the session's last message is
        this question, left without an answer (the provider failed): answer it
        without storing it again; otherwise the question is asked as new."""
        text = _checked_question(question)
        session = _checked_session(session) if session is not None else new_session()
        earlier = self.history(session, limit=HISTORY_MESSAGES + 1)
        vectors: dict[str, Any] = {}  # the message's vector also serves the search

        def embed(t: str) -> Any:
            if t not in vectors:
                vectors[t] = self.embedder.embed([t])[0]
            return vectors[t]

        unanswered = _unanswered(earlier, text) if retry else None
        if unanswered is not None:
            asked = unanswered.id
            earlier = earlier[:-1]
        else:
            asked = self._store("user", text, session, embed)
        earlier = earlier[-HISTORY_MESSAGES:]
        before = self.usage.total()
        answer_client, topic_client = self._clients()
        turns = [(str(r.fields["role"]), str(r.fields["text"])) for r in earlier]
        topic = derive_topic(topic_client, self.topic_mode, text, turns)
        vector_text = f"{text} {topic.text}" if topic.mode == "llm" else text
        floor = relevance_floor(self.embedder, vector_text)
        asked_before = next((said for role, said in reversed(turns) if role == "user"), None)
        context_text = f"{asked_before} {text}" if asked_before else None
        memories = retrieve(
            self.storage,
            embed,
            topic.text,
            question=text,
            vector_text=vector_text,
            per_type=self.per_type,
            exclude={asked, *(r.id for r in earlier)},  # already in the conversation
            redact_screens=self.redact_screens,
            embed_many=self.embedder.embed,
            floor=floor,
            context_text=context_text,
        )
        result = ChatAnswer(NO_LLM, memories, topic.text, session, topic.mode, False, [asked])
        cores = [h for h in memories if h.type == "core"]
        references = [embed(vector_text)] + ([embed(context_text)] if context_text else [])
        close_cores = relevant(self.embedder.embed, references, cores, floor)
        result.relevant = [h.id for h in memories if h.type != "core" or h.id in close_cores]
        if answer_client is not None:
            prompt = system_prompt(
                render_memories(memories, source_times(self.storage, memories)), now_iso()
            )
            conversation = [
                {"role": "system", "content": prompt},
                *({"role": role, "content": said} for role, said in turns),
                {"role": "user", "content": text},
            ]
            result.answer = self._stream(answer_client, conversation, on_token)
            result.answered = True
            result.message_ids.append(self._store("assistant", result.answer, session, embed))
        spent = self.usage.total()
        result.llm_calls = spent.calls - before.calls
        result.prompt_tokens = spent.prompt_tokens - before.prompt_tokens
        return result

    def history(self, session: str | None = None, limit: int = 200) -> list[Record]:
        if limit < 1:
            raise InvalidInputError("limit must be at least 1.")
        return self.storage.messages.recent(
            session=session, external_prefix=CHAT_PREFIX, limit=limit
        )

    # -- plumbing ------------------------------------------------------------------------

    def _clients(self) -> tuple[LLMClient | None, LLMClient | None]:
        if self.llm is None:
            return None, None
        # The topic is a nicety: no retries and a short wait, the keywords stand in.
        quick = replace(self.llm, max_retries=0, timeout_s=min(self.llm.timeout_s, TOPIC_TIMEOUT_S))
        return client_for(self.llm, usage=self.usage), client_for(quick, usage=self.usage)

    def _stream(
        self, client: LLMClient, conversation: list[dict[str, Any]], on_token: TokenSink | None
    ) -> str:
        pieces: list[str] = []
        for piece in client.stream(conversation, operation="answer"):
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
        answer = "".join(pieces).strip()
        if not answer:
            raise LLMBadOutputError("The model sent an empty answer.")
        return answer

    def _store(self, role: str, text: str, session: str, embed: Callable[[str], Any]) -> str:
        """Store one chat message and, with an LLM configured, queue it for the
        memory agents, in one transaction. Returns the message id."""
        at = now_iso()
        values = {
            "external_id": f"{CHAT_PREFIX}{uuid.uuid4().hex}",
            "role": role,
            "text": text,
            "at": at,
            "session": session,
        }
        item = self.storage.messages.prepare(values, embedding=embed(text))

        def write(work: UnitOfWork) -> str:
            (message_id,) = work.messages.insert_many([item])
            if self.llm is not None:
                observation = {
                    "kind": "message",
                    "source_id": message_id,
                    "at": at,
                    "text": text,
                    "role": role,
                    "session": session,
                }
                work.batches.append([observation], max_items=self.batch_items)
            return message_id

        return self.storage.transaction(write)


def _unanswered(earlier: list[Record], text: str) -> Record | None:
    """The session's last message when it is the user's ``text`` with no answer."""
    if not earlier:
        return None
    last = earlier[-1]
    same = " ".join(str(last.fields.get("text") or "").split()) == " ".join(text.split())
    return last if last.fields.get("role") == "user" and same else None


def _checked_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError("The message is empty.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"The message is {len(question)} characters long; the most is {MAX_QUESTION_CHARS}."
        )
    return question.strip()


def _checked_session(session: str) -> str:
    if not isinstance(session, str) or not session.strip() or len(session) > 200:
        raise InvalidInputError("The session must be a non-empty name of at most 200 characters.")
    return session.strip()
