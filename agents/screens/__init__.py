"""Screenshot memory: frames, dedup, storage, OCR and search (issue 4)."""

from agents.screens.dedup import Fingerprint, changed_regions, fingerprint, is_near_duplicate
from agents.screens.frame import Frame, FrameError
from agents.screens.importer import ScreenImportReport
from agents.screens.pipeline import FrameResult, PipelineConfig, ScreenPipeline
from agents.screens.search import ScreenHit
from storage import ScreenSearchParams

__all__ = [
    "Fingerprint",
    "Frame",
    "FrameError",
    "FrameResult",
    "PipelineConfig",
    "ScreenHit",
    "ScreenImportReport",
    "ScreenPipeline",
    "ScreenSearchParams",
    "changed_regions",
    "fingerprint",
    "is_near_duplicate",
]
