"""Import torch-based model libraries safely on a CPU-only torch.

The torchvision wheel that matches our pinned torch is a CUDA build. On a
machine without CUDA its compiled ops library does not load, yet torchvision
still registers fake kernels for ``torchvision::nms`` and ``torchvision::qnms``
at import, which fails with "operator torchvision::nms does not exist" and
takes ``import transformers`` (and so sentence-transformers and open_clip) down
with it.

:func:`prepare_torch` runs once before any of those imports. If torchvision's
ops library loads, nothing is changed. If it does not, it declares the two op
schemas so the import succeeds; the ops then have no kernel, and calling them
raises, but nothing in mirix-app uses detection ops (only image transforms).
"""

from __future__ import annotations

import glob
import importlib.util
import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_done = False
_library: Any = None  # keeps the schema definitions alive for the process

_MISSING_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)


def prepare_torch() -> None:
    """Make ``import torchvision`` (and what imports it) work; idempotent."""
    global _done, _library
    with _lock:
        if _done:
            return
        _done = True
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        spec = importlib.util.find_spec("torchvision")
        if spec is None or not spec.submodule_search_locations:
            return  # no torchvision: transformers simply skips its vision parts
        if _ops_library_loads(torch, list(spec.submodule_search_locations)):
            return
        log.info("torchvision ops unavailable (CPU torch with a CUDA torchvision); stubbing")
        _library = torch.library.Library("torchvision", "DEF")  # type: ignore[no-untyped-call]
        for schema in _MISSING_OPS:
            _library.define(schema)


def _ops_library_loads(torch: Any, locations: list[str]) -> bool:
    for location in locations:
        for path in glob.glob(os.path.join(location, "_C*.so")) + glob.glob(
            os.path.join(location, "_C*.pyd")
        ):
            try:
                torch.ops.load_library(path)
            except (OSError, RuntimeError):
                return False
            return True
    return False
