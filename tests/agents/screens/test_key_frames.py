"""Key frames (vision_key_frames): frames kept by the real screen pipeline, their
sensitive text recorded, sent with the meta-agent's call over real HTTP (litellm
against the scripted server) with that text blacked out; the agents get none.

OCR is the one thing replaced: a fake engine at the pipeline's OCR boundary
returns the lines drawn on each frame with their exact boxes, so the test knows
where every secret is on the image."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from agents import Assistant
from agents.llm import LocalModelSettings
from agents.memory_agents import Absorber
from agents.screens import Frame
from agents.screens.batching import UNCHANGED
from agents.screens.key_frames import MAX_SIDE, preference_order
from agents.screens.ocr import OcrEngine, OcrLine, RapidOcr
from agents.screens.service import ScreenService
from storage.screens import decode_boxes
from tests.llm_server import MODEL, ScriptedLLMServer

VISION_MODEL = "openai/gpt-4o"
"""A model litellm's bundled list marks as vision-capable; the scripted server
answers whatever model name it is sent."""
KEY = "sk-proj-4fJ9aQ2mZ7xK1pL8vN3bT6yR0wE5uH2c"
EMAIL = "jane.doe@example.com"
DEPLOY = ["Deploy settings for Orion", f"API key {KEY}", f"Contact {EMAIL}"]
GUIDE = ["Kyoto travel guide", "Temples and gardens"]


class ScriptedOcr:
    """Reads each frame as the lines it was drawn with (in the order frames come)."""

    name = "scripted-ocr"

    def __init__(self) -> None:
        self.pages: list[list[OcrLine]] = []

    def read(self, image: Image.Image) -> list[OcrLine]:
        return self.pages.pop(0)


def draw_screen(
    lines: Sequence[str], *, size: tuple[int, int]
) -> tuple[Image.Image, list[OcrLine]]:
    image = Image.new("RGB", size, (236, 240, 244))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    read = []
    for n, text in enumerate(lines):
        at = (30, 30 + 60 * n)
        draw.text(at, text, fill=(20, 20, 20), font=font)
        left, top, right, bottom = draw.textbbox(at, text, font=font)
        read.append(OcrLine(text, (int(left), int(top), int(right), int(bottom)), 0.99))
    return image, read


class Screens:
    """Frames through the assistant's real screen pipeline."""

    def __init__(self, assistant: Assistant, ocr: OcrEngine | None = None) -> None:
        self.ocr = ScriptedOcr()
        self.assistant = assistant
        assistant.screen_service = ScreenService(
            assistant.storage, assistant.embedder, assistant.settings, ocr=ocr or self.ocr
        )
        self.images: dict[str, Image.Image] = {}
        self.lines: dict[str, list[OcrLine]] = {}

    def keep(
        self, lines: Sequence[str], *, app: str, title: str, size: tuple[int, int] = (1000, 260)
    ) -> str:
        image, read = draw_screen(lines, size=size)
        self.ocr.pages.append(read)
        number = len(self.images) + 1  # a monitor each: every frame is read whole
        frame = Frame(image, f"2024-06-01T10:0{number}:00Z", number, app, title)
        result = self.assistant.screens.pipeline().process(frame)
        assert result.outcome == "kept" and result.stored is not None
        self.images[result.stored.id] = image
        self.lines[result.stored.id] = read
        return result.stored.id


@pytest.fixture
def screens(assistant: Assistant, llm_server: ScriptedLLMServer) -> Screens:
    assistant.set_config("llm_model", VISION_MODEL)
    assistant.set_config("llm_api_base", llm_server.api_base)
    assistant.set_config("batch_items", "3")
    assistant.set_config("vision_key_frames", "2")
    return Screens(assistant)


def three_frames(screens: Screens) -> list[str]:
    ids = [
        screens.keep(DEPLOY, app="terminal", title="deploy"),
        screens.keep(GUIDE, app="firefox", title="Kyoto"),
        screens.keep([*DEPLOY, "Build 42 passed"], app="terminal", title="deploy"),
    ]
    assert len(screens.assistant.storage.batches.pending()) == 1
    return ids


def script_one_memory(server: ScriptedLLMServer) -> None:
    server.reply_tool_calls(
        ("dispatch", {"assignments": [{"memory_type": "semantic", "instruction": "Note it."}]})
    )
    server.reply_tool_calls(
        ("semantic_insert", {"name": "Orion", "summary": "A project being deployed"}),
        route="semantic_",
    )


def meta_and_agents(server: ScriptedLLMServer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    meta = [r for r in server.requests if "dispatch" in r.tool_names()]
    agents = [r for r in server.requests if "dispatch" not in r.tool_names()]
    assert len(meta) == 1 and agents
    return meta[0].body, [r.body for r in agents]


def sent_images(body: dict[str, Any]) -> tuple[str, list[Image.Image]]:
    content = body["messages"][1]["content"]
    assert isinstance(content, list)
    (text,) = [p["text"] for p in content if p["type"] == "text"]
    images = []
    for part in content:
        if part["type"] == "image_url":
            head, data = part["image_url"]["url"].split(",", 1)
            assert head == "data:image/jpeg;base64"
            images.append(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
    return text, images


def pixels(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray[Any, Any]:
    return np.asarray(image.crop(box), dtype=np.int16)


def test_key_frames_go_with_the_meta_call_only_with_sensitive_text_blacked_out(
    screens: Screens, llm_server: ScriptedLLMServer
) -> None:
    deploy, guide, _later = three_frames(screens)
    stored = screens.assistant.storage
    with stored._db.reading() as conn:
        row = conn.execute("SELECT sensitive_boxes FROM screenshots WHERE id = ?", (deploy,))
        boxes = decode_boxes(row.fetchone()[0])
    key_line, email_line = screens.lines[deploy][1], screens.lines[deploy][2]
    assert boxes == [key_line.box, email_line.box]

    script_one_memory(llm_server)
    report = screens.assistant.absorb()
    assert (report.done, report.batches[0].key_frames) == (1, 2)

    meta, agents = meta_and_agents(llm_server)
    for body in agents:  # the dispatched agents get text only
        assert "image_url" not in str(body)
    note, (first, second) = sent_images(meta)
    assert "key frames of observations 1, 2" in note  # each window's first frame
    assert KEY not in str(meta) and EMAIL not in str(meta)
    assert first.size == second.size == (1000, 260)

    original = screens.images[deploy]
    for line in (key_line, email_line):  # the secrets: black
        hidden = pixels(first, line.box)
        assert hidden.max() < 60 and hidden.mean() < 8, line.text
    clear = screens.lines[deploy][0].box  # the rest: as it was
    assert np.abs(pixels(first, clear) - pixels(original, clear)).mean() < 6
    assert pixels(first, clear).max() > 200
    mask = np.ones((260, 1000), dtype=bool)
    for line in (key_line, email_line):
        left, top, right, bottom = line.box
        mask[max(0, top - 25) : bottom + 25, max(0, left - 25) : right + 25] = False
    diff = np.abs(np.asarray(first, np.int16) - np.asarray(original, np.int16)).max(axis=2)
    assert diff[mask].mean() < 3
    untouched = np.abs(np.asarray(second, np.int16) - np.asarray(screens.images[guide], np.int16))
    assert untouched.mean() < 3  # a frame without findings is sent as it is


def test_with_real_ocr_the_secrets_it_reads_are_black_in_the_image_sent(
    screens: Screens, llm_server: ScriptedLLMServer
) -> None:
    screens = Screens(screens.assistant, ocr=RapidOcr())
    drawn = [*DEPLOY, "Call +1 415 555 0132 today"]
    shot = screens.keep(drawn, app="terminal", title="deploy", size=(1000, 320))
    assert screens.assistant.screens.pipeline().flush_batches() == 1
    script_one_memory(llm_server)
    assert screens.assistant.absorb().batches[0].key_frames == 1
    _note, (image,) = sent_images(meta_and_agents(llm_server)[0])
    # Where the text was drawn (the scripted OCR's exact boxes), not where OCR saw it.
    title, *secrets = screens.lines[shot]
    for line in secrets:
        assert pixels(image, line.box).max() < 60, line.text
    assert pixels(image, title.box).max() > 200


def test_large_frames_are_scaled_down_to_the_long_side_limit(
    screens: Screens, llm_server: ScriptedLLMServer
) -> None:
    screens.keep(GUIDE, app="firefox", title="Kyoto", size=(2560, 1440))
    assert screens.assistant.screens.pipeline().flush_batches() == 1
    script_one_memory(llm_server)
    assert screens.assistant.absorb().done == 1
    _note, (image,) = sent_images(meta_and_agents(llm_server)[0])
    assert image.size == (MAX_SIDE, 720)


@pytest.mark.parametrize(
    ("setting", "value"),
    # off; a model litellm does not list as taking images; told the model takes none
    [("vision_key_frames", "0"), ("llm_model", MODEL), ("llm_images", "no")],
)
def test_no_image_is_sent_when_off_or_the_model_has_no_vision(
    screens: Screens, llm_server: ScriptedLLMServer, setting: str, value: str
) -> None:
    screens.assistant.set_config(setting, value)
    three_frames(screens)
    script_one_memory(llm_server)
    report = screens.assistant.absorb()
    assert (report.done, report.batches[0].key_frames) == (1, 0)
    assert "image_url" not in llm_server.raw_bodies()
    meta, _agents = meta_and_agents(llm_server)
    assert meta["messages"][1]["content"] == "Dispatch the work for these observations."


def test_llm_images_yes_sends_key_frames_to_a_model_litellm_does_not_list(
    screens: Screens, llm_server: ScriptedLLMServer
) -> None:
    screens.assistant.set_config("llm_model", MODEL)
    screens.assistant.set_config("llm_images", "yes")
    three_frames(screens)
    script_one_memory(llm_server)
    report = screens.assistant.absorb()
    assert (report.done, report.batches[0].key_frames) == (1, 2)
    assert len(sent_images(meta_and_agents(llm_server)[0])[1]) == 2


def test_the_embedded_model_gets_no_key_frames(assistant: Assistant) -> None:
    local = LocalModelSettings(model="openai/gpt-4o", model_path="/nowhere/model.gguf")
    absorber = Absorber(assistant.storage, assistant.embedder, local, key_frames=4)
    assert absorber.key_frames == 0
    told = Absorber(assistant.storage, assistant.embedder, local, key_frames=4, images="yes")
    assert told.key_frames == 0


def test_frames_whose_image_is_gone_are_skipped_without_error(
    screens: Screens, llm_server: ScriptedLLMServer
) -> None:
    screens.assistant.set_config("vision_key_frames", "4")
    deploy, guide, later = three_frames(screens)
    storage = screens.assistant.storage
    files = storage.frame_files()
    # The storage budget deletes the oldest image (its row forgets the file) ...
    assert files.enforce_budget(files.used_bytes() - 1) == 1
    assert storage.screenshots.get(deploy).fields["image_path"] is None
    # ... and another file vanished from disk behind the row's back.
    os.remove(storage.data_dir / str(storage.screenshots.get(guide).fields["image_path"]))

    script_one_memory(llm_server)
    report = screens.assistant.absorb()
    assert (report.done, report.batches[0].key_frames) == (1, 1)
    note, (image,) = sent_images(meta_and_agents(llm_server)[0])
    assert "key frames of observations 3" in note and later in screens.images
    assert image.size == screens.images[later].size


def test_frames_are_chosen_by_window_first_then_by_new_text() -> None:
    def item(n: int, app: str, text: str) -> dict[str, Any]:
        return {"kind": "screenshot", "source_id": f"scr_{n}", "app": app, "text": text}

    items = [
        item(0, "mail", "Inbox"),
        {"kind": "message", "source_id": "msg_1", "text": "a chat turn"},
        item(2, "editor", "A long page of new text in the editor"),
        item(3, "editor", UNCHANGED),  # repeats its window: never chosen
        item(4, "editor", "two more lines"),
        item(5, "mail", "Reply from Ann about lunch on Friday"),
        item(6, "viewer", UNCHANGED),  # a window's first frame, even without text
    ]
    every = {f"scr_{n}" for n in range(7)}
    assert preference_order(items, every) == [2, 0, 6, 5, 4]
    # A window whose first frame cannot be shown starts with its next one.
    assert preference_order(items, every - {"scr_2"}) == [0, 3, 6, 5, 4]
