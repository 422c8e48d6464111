"""agents/llm/vision.py: which configured models get images (litellm's bundled
model list, offline), and the image content part."""

from __future__ import annotations

import base64

import pytest

from agents.llm import LLMSettings, LocalModelSettings, image_part, supports_images
from agents.llm.client import _litellm
from tests.llm_server import MODEL


@pytest.mark.parametrize(
    ("model", "vision"),
    [
        ("openai/gpt-4o", True),
        ("openai/gpt-4o-mini", True),
        ("gpt-4o", True),
        (MODEL, False),  # the scripted test model: unknown to litellm
        ("openai/gpt-3.5-turbo", False),
        ("ollama/llama3.2", False),
        ("nonsense/no-such-model", False),
        ("openai/", False),
    ],
)
def test_a_provider_model_gets_images_only_when_litellm_lists_it_as_vision(
    model: str, vision: bool
) -> None:
    assert supports_images(LLMSettings(model=model, api_base="http://127.0.0.1:9/v1")) is vision


def test_the_embedded_model_never_gets_images() -> None:
    local = LocalModelSettings(model="openai/gpt-4o", model_path="/nowhere/model.gguf")
    assert supports_images(local) is False


def test_litellm_failing_to_answer_counts_as_no_images(monkeypatch: pytest.MonkeyPatch) -> None:
    # No model name found makes litellm raise here (it answers False for all we
    # tried), so the library's function is made to raise to check the guard.
    def broken(**_kwargs: object) -> bool:
        raise ValueError("model list unavailable")

    monkeypatch.setattr(_litellm(), "supports_vision", broken)
    assert supports_images(LLMSettings(model="openai/gpt-4o-vision-guard-test")) is False


def test_an_image_part_is_an_openai_data_url() -> None:
    part = image_part(b"\xff\xd8jpeg bytes", "image/jpeg")
    assert part["type"] == "image_url"
    head, data = part["image_url"]["url"].split(",", 1)
    assert head == "data:image/jpeg;base64"
    assert base64.b64decode(data) == b"\xff\xd8jpeg bytes"
