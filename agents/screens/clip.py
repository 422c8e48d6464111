"""Image and text embeddings in one space with open_clip, for text-to-image
screenshot search. This module and agents.embeddings are the only ones that
import open_clip.

No CLIP weights can be downloaded by mirix-app: the model is built from a
checkpoint file the user names (settings ``clip_checkpoint`` and ``clip_model``).
Without one, :func:`clip_from_settings` returns None and image search reports
itself unavailable. ``pretrained=None`` builds the architecture with random
weights (tests use that with a small configuration).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from agents.embeddings._torch import prepare_torch
from agents.errors import ModelUnavailableError

UNAVAILABLE = (
    "Image search is unavailable: no CLIP checkpoint is configured (set clip_checkpoint "
    "to an open_clip checkpoint file and clip_model to its architecture)."
)


class ClipEmbedder:
    def __init__(
        self, model: str, *, pretrained: str | None, config_file: Path | None = None
    ) -> None:
        self.model_name = model
        self.pretrained = pretrained
        self.config_file = config_file
        self.name = f"open_clip:{model}"
        self._parts: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._parts is None:
                if self.pretrained is not None and not Path(self.pretrained).is_file():
                    raise ModelUnavailableError(
                        f"The CLIP checkpoint {self.pretrained} does not exist."
                    )
                prepare_torch()
                import open_clip

                if self.config_file is not None:
                    open_clip.add_model_config(self.config_file)
                try:
                    model, _, preprocess = open_clip.create_model_and_transforms(
                        self.model_name, pretrained=self.pretrained, device="cpu"
                    )
                    tokenizer = open_clip.get_tokenizer(self.model_name)
                except (RuntimeError, OSError, ValueError, KeyError) as exc:
                    raise ModelUnavailableError(
                        f"Could not load CLIP model {self.model_name} from "
                        f"{self.pretrained or 'no checkpoint'}: {exc}"
                    ) from exc
                model.eval()
                self._parts = (model, preprocess, tokenizer)
            return self._parts

    def embed_images(self, images: Sequence[Image.Image]) -> npt.NDArray[np.float32]:
        import torch

        model, preprocess, _ = self._load()
        batch = torch.stack([preprocess(img.convert("RGB")) for img in images])
        with torch.no_grad():
            features = model.encode_image(batch)
        return _normalised(features.float().numpy())

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import torch

        model, _, tokenizer = self._load()
        with torch.no_grad():
            features = model.encode_text(tokenizer(list(texts)))
        return _normalised(features.float().numpy())


def _normalised(matrix: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def clip_from_settings(checkpoint: str, model: str) -> ClipEmbedder | None:
    """The configured CLIP model, or None when no checkpoint is set."""
    if not checkpoint.strip():
        return None
    return ClipEmbedder(model, pretrained=str(Path(checkpoint).expanduser()))
