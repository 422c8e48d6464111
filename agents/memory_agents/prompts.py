"""The meta-agent's and the memory agents' prompts.

Observations go in as DATA (see :mod:`agents.memory_agents.observations`); the
existing memories an agent may update are listed with their ids, each with the
fields its kind lets a model read (:meth:`storage.kinds.Kind.prompt_view`: a
knowledge-vault item by caption only, never its secret); what a kind withholds
(high-sensitivity vault items) is not listed at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agents.memory_agents.observations import DATA_RULE
from storage import Record, kind_named
from storage.kinds import MEMORY_KINDS

CORE_REWRITE_AT = 0.9
CHAT_RULE = (
    "An observation with role assistant is this assistant's own reply in a chat: it "
    "often repeats stored memories, so store from it only what the user's own "
    "messages confirm or add."
)


def _type_guides() -> str:
    return "\n".join(f"- {kind.name}: {kind.guide}" for kind in MEMORY_KINDS)


def meta_prompt(observations: str) -> str:
    types = _type_guides()
    return (
        "You are the meta-agent of a personal memory system. Read the observations and "
        "decide which memory types have something new to store or change. Call the tool "
        "dispatch exactly once, with one assignment per memory type that has work and a "
        "short instruction naming what to record. Leave out types with nothing to do; an "
        "empty list is right when nothing is worth remembering.\n\n"
        f"Memory types:\n{types}\n\n{DATA_RULE} {CHAT_RULE}\n\n{observations}"
    )


def direct_meta_prompt(observations: str, existing: str, core: str) -> str:
    """The meta-agent that writes new memories itself and dispatches only edits."""
    types = _type_guides()
    return (
        "You are the meta-agent of a personal memory system. Read the observations and "
        "store what is worth remembering, in as few steps as you can:\n"
        "- write each NEW memory yourself, with the insert tool of its type (core_append "
        "for a lasting fact about the user or how to treat them);\n"
        "- call dispatch only for a memory type where a memory listed below must be "
        "updated, merged into or deleted, or a core block must be rewritten: that type's "
        "agent does it. You cannot change existing memories yourself.\n"
        "Call all your tools in this one reply. Store nothing when nothing is worth "
        "remembering (then call dispatch with an empty list).\n\n"
        f"Memory types:\n{types}\n\n"
        f"Core blocks:\n{core}\n\n"
        f"Existing memories that match these observations, by type:\n{existing}\n\n"
        f"{DATA_RULE} {CHAT_RULE}\n\n{observations}"
    )


def agent_prompt(
    type_name: str, instruction: str, observations: str, existing: str, extra_rules: str = ""
) -> str:
    return (
        f"You are the {type_name} memory agent of a personal memory system. Your memory "
        f"type holds {kind_named(type_name).guide}. Use only your tools, and call all of them in "
        "one reply: you get no second turn unless a call fails. Prefer updating or merging a "
        "memory listed below over adding a duplicate. You may only update or delete the "
        "memories listed below (by id), never others, and only when the observations "
        "show them to be wrong or obsolete.\n"
        f"{extra_rules}"
        f"\nYour instruction from the meta-agent: {instruction}\n\n"
        f"Existing {type_name} memories that match these observations:\n{existing}\n\n"
        f"{DATA_RULE} {CHAT_RULE}\n\n{observations}"
    )


def core_rules(blocks: Sequence[Record]) -> str:
    over = [
        b.fields["label"]
        for b in blocks
        if len(str(b.fields.get("text") or "")) > CORE_REWRITE_AT * int(b.fields["char_limit"])
    ]
    rule = (
        "Each core block is a few short lines under its character limit. When a block "
        f"passes {int(CORE_REWRITE_AT * 100)}% of its limit, rewrite it with core_rewrite "
        "to about half its length, keeping the most important facts.\n"
    )
    if over:
        rule += f"These blocks are over {int(CORE_REWRITE_AT * 100)}% now: {', '.join(over)}.\n"
    return rule


def show_core(blocks: Sequence[Record]) -> str:
    parts = []
    for b in blocks:
        text = str(b.fields.get("text") or "")
        lines = text.split("\n") if text else []
        numbered = "\n".join(f"  {n}: {line}" for n, line in enumerate(lines, start=1))
        parts.append(
            f"block {b.fields['label']} ({len(text)} of {b.fields['char_limit']} characters):\n"
            + (numbered or "  (empty)")
        )
    return "\n".join(parts)


def show_memories(records: Sequence[Record]) -> str:
    """One JSON line per memory, with its id; vault items by caption only."""
    lines = []
    for r in records:
        shown: dict[str, Any] = {"id": r.id, **kind_named(r.type).prompt_view(r.fields)}
        lines.append(json.dumps(shown, ensure_ascii=False))
    return "\n".join(lines) or "(none)"
