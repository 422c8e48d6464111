"""Whether the configured model takes images, and the message part that carries one.

litellm knows which models accept images from its model list (the copy bundled
with it: the app sets ``LITELLM_LOCAL_MODEL_COST_MAP``, so nothing is fetched).
A model it does not list, a name it cannot parse, or any error in asking counts
as "no images": sending images to a model that cannot read them would fail the
call, while leaving them out only loses some context. The embedded local model
never gets images.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from agents.llm.client import _litellm
from agents.llm.settings import LLMSettings, LocalModelSettings


def supports_images(settings: LLMSettings) -> bool:
    """True only for a provider's model that litellm lists as vision-capable."""
    if isinstance(settings, LocalModelSettings):
        return False
    return _listed_as_vision(settings.model)


@functools.lru_cache(maxsize=32)
def _listed_as_vision(model: str) -> bool:
    try:
        answer = _litellm().supports_vision(model=model)
    except Exception:  # an unknown provider or a malformed name: not a vision model
        return False
    return answer is True


def image_part(data: bytes, mime: str) -> dict[str, Any]:
    """An OpenAI-style content part carrying one image inline (a base64 data URL);
    litellm converts it for the other providers."""
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{encoded}"}}
