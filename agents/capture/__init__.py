"""Live screen capture: grab, privacy checks, dedup, schedule (issue 4).

The storing side (image files, OCR, embeddings, batches) is the screen
pipeline's (:mod:`agents.screens`); capture hands it the frames it keeps.
"""

from agents.capture.errors import (
    BlankScreenError,
    CaptureError,
    DiskFullError,
    MonitorGoneError,
    NoDisplayError,
)
from agents.capture.events import CaptureEvent, CaptureResult
from agents.capture.grabber import Grabber, Monitor, MssGrabber
from agents.capture.pause import PauseFlag
from agents.capture.rules import ExclusionRules
from agents.capture.scheduler import Scheduler
from agents.capture.window import UnknownProbe, Window, WindowProbe, X11Probe, probe_for_platform

__all__ = [
    "BlankScreenError",
    "CaptureError",
    "CaptureEvent",
    "CaptureResult",
    "DiskFullError",
    "ExclusionRules",
    "Grabber",
    "Monitor",
    "MonitorGoneError",
    "MssGrabber",
    "NoDisplayError",
    "PauseFlag",
    "Scheduler",
    "UnknownProbe",
    "Window",
    "WindowProbe",
    "X11Probe",
    "probe_for_platform",
]
