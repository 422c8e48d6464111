"""Screenshot memory: frames, dedup, storage, OCR and search (issue 4)."""

from agents.screens.dedup import Fingerprint, changed_regions, fingerprint, is_near_duplicate

__all__ = ["Fingerprint", "changed_regions", "fingerprint", "is_near_duplicate"]
