"""Text-to-image search with open_clip: a small architecture with random weights
(``pretrained=None``; no weights can be downloaded here) goes through the real
code path, from image embeddings at import to a third list in the fusion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents import Assistant
from agents.errors import ModelUnavailableError
from agents.screens.clip import UNAVAILABLE, ClipEmbedder, clip_from_settings
from agents.screens.ocr import RapidOcr
from agents.screens.service import ScreenService
from tests.screens_data import save_screen, screen, write_manifest

TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 1, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipEmbedder:
    config = tmp_path_factory.mktemp("clip") / "mirix-tiny-test.json"
    config.write_text(json.dumps(TINY), encoding="utf-8")
    return ClipEmbedder("mirix-tiny-test", pretrained=None, config_file=config)


def test_tiny_clip_embeds_images_and_texts_in_one_space(tiny_clip: ClipEmbedder) -> None:
    images = tiny_clip.embed_images([screen(["a"]), screen(["b"], shade=120)])
    texts = tiny_clip.embed_texts(["a red car", "a blue sky"])
    assert images.shape == (2, 32) and texts.shape == (2, 32)
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(images @ texts.T).all()


def test_image_search_joins_the_fusion_when_a_model_is_configured(
    assistant: Assistant, tiny_clip: ClipEmbedder, tmp_path: Path
) -> None:
    assistant.screen_service = ScreenService(
        assistant.storage, assistant.embedder, assistant.settings, ocr=RapidOcr(), clip=tiny_clip
    )
    save_screen(tmp_path / "a.png", ["Harbour photo album"])
    assistant.import_screens(write_manifest(tmp_path / "m.jsonl", [{"path": "a.png"}]))
    (blob,) = assistant.storage._db.query("SELECT image_embedding FROM screenshots")[0]
    assert blob is not None and len(blob) == 32 * 4
    (hit,) = assistant.screens_search("Harbour photo album")
    assert "image" in hit.matched_by and "text" in hit.matched_by
    assert assistant.stats()["screenshots"]["image_search"] == "available"


def test_without_a_checkpoint_image_search_says_it_is_unavailable(assistant: Assistant) -> None:
    assert clip_from_settings("", "ViT-B-32") is None
    assert assistant.stats()["screenshots"]["image_search"] == UNAVAILABLE
    missing = ClipEmbedder("ViT-B-32", pretrained="/nowhere/clip.pt")
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        missing.embed_texts(["x"])
