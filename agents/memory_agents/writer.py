"""Carrying out one memory agent's tool calls through the stores.

Every write keeps ids and history (updates) or is soft (deletes) and links the
batch's sources. The guard: an agent may only change memories of its own type
that were shown to it for this batch, or that it created in this batch; any
other id (planted in the data by prompt injection, made up, of another type) is
refused with a :class:`ToolInputError`, which the LLM client answers to the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agents.embeddings import TextEmbedder
from agents.errors import ToolInputError
from storage import InvalidInputError, NotFoundError, SourceRef, Storage, kind_named, kind_of_id
from storage.core import block_id
from storage.kinds import embedding_text, validate_fields


class MemoryWriter:
    """The tool handler of one agent for one batch (``handler(name, arguments)``)."""

    def __init__(
        self,
        storage: Storage,
        embedder: TextEmbedder,
        type_name: str,
        *,
        shown_ids: Sequence[str],
        sources: Sequence[SourceRef],
    ) -> None:
        self.storage = storage
        self.embedder = embedder
        self.kind = kind_named(type_name)
        self.allowed: set[str] = set(shown_ids)
        self.sources = list(sources)
        self.written: list[str] = []
        """Ids written, one entry per successful write."""

    def __call__(self, name: str, arguments: dict[str, Any]) -> str:
        prefix = f"{self.kind.name}_"
        operation = name[len(prefix) :] if name.startswith(prefix) else ""
        action: Callable[[dict[str, Any]], str] | None = getattr(self, f"_op_{operation}", None)
        if action is None or operation not in {t.operation for t in self.kind.tools}:
            raise ToolInputError(f"The {self.kind.name} agent has no tool {name!r}.")
        try:
            return action(arguments)
        except (InvalidInputError, NotFoundError) as exc:
            raise ToolInputError(str(exc)) from exc

    # -- the guard -------------------------------------------------------------------

    def _editable(self, memory_id: object) -> str:
        if not isinstance(memory_id, str):
            raise ToolInputError("memory_id must be a string.")
        try:
            kind = kind_of_id(memory_id)
        except InvalidInputError as exc:
            raise ToolInputError(str(exc)) from exc
        if kind.name != self.kind.name:
            raise ToolInputError(
                f"{memory_id} is not a {self.kind.name} memory; this agent may only change "
                f"{self.kind.name} memories."
            )
        if memory_id not in self.allowed:
            raise ToolInputError(
                f"{memory_id} was not shown to you for this batch; you may only change the "
                f"{self.kind.name} memories listed in your instructions or created by you now."
            )
        return memory_id

    # -- generic types -----------------------------------------------------------------

    def _op_insert(self, args: dict[str, Any]) -> str:
        store = self.storage.memories[self.kind.name]
        record = store.add(args, embedding=self._vector(args), sources=self.sources)
        self.allowed.add(record.id)
        return self._wrote(record.id, "stored")

    def _op_update(self, args: dict[str, Any]) -> str:
        memory_id = self._editable(args.get("memory_id"))
        changes = {k: v for k, v in args.items() if k != "memory_id"}
        return self._update(memory_id, changes)

    def _op_merge(self, args: dict[str, Any]) -> str:
        memory_id = self._editable(args.get("memory_id"))
        merge = next(t for t in self.kind.tools if t.operation == "merge")
        target = (merge.fields or ("details",))[0]  # the field the merge appends to
        current = self.storage.memories[self.kind.name].get(memory_id)
        old = str(current.fields.get(target) or "")
        addition = str(args["details_to_append"])
        return self._update(memory_id, {target: f"{old}\n{addition}" if old else addition})

    def _op_delete(self, args: dict[str, Any]) -> str:
        memory_id = self._editable(args.get("memory_id"))
        self.storage.memories[self.kind.name].delete(memory_id)
        return self._wrote(memory_id, "deleted")

    def _update(self, memory_id: str, changes: dict[str, Any]) -> str:
        store = self.storage.memories[self.kind.name]
        current = store.get(memory_id)
        if current.deleted:
            raise ToolInputError(f"{memory_id} is deleted.")
        merged = {**current.fields, **changes}
        store.update(memory_id, changes, embedding=self._vector(merged), sources=self.sources)
        return self._wrote(memory_id, "updated")

    # -- the core blocks' line operations ------------------------------------------------

    def _op_append(self, args: dict[str, Any]) -> str:
        lines = self.storage.core.lines(args["label"])
        return self._core(args["label"], "\n".join([*lines, args["line"]]))

    def _op_replace_line(self, args: dict[str, Any]) -> str:
        label, number = args["label"], args["line_number"]
        lines = self.storage.core.lines(label)
        if not 1 <= number <= len(lines):
            raise ToolInputError(f"Block {label} has {len(lines)} line(s); no line {number}.")
        if args["text"]:
            lines[number - 1] = args["text"]
        else:
            del lines[number - 1]
        return self._core(label, "\n".join(lines))

    def _op_rewrite(self, args: dict[str, Any]) -> str:
        return self._core(args["label"], args["text"])

    def _core(self, label: str, text: str) -> str:
        vector = self.embedder.embed([text])[0] if text.strip() else None
        record = self.storage.core.update(
            block_id(label), {"text": text}, embedding=vector, sources=self.sources
        )
        if vector is None:  # an emptied block must not be found by its old text
            self.storage.core.set_embedding(record.id, None)
        return self._wrote(record.id, f"updated ({len(text)} characters)")

    # -- helpers -----------------------------------------------------------------------

    def _vector(self, values: dict[str, Any]) -> Any:
        text = embedding_text(self.kind, validate_fields(self.kind, values))
        return self.embedder.embed([text])[0] if text.strip() else None

    def _wrote(self, memory_id: str, what: str) -> str:
        self.written.append(memory_id)
        return f"{memory_id} {what}."
