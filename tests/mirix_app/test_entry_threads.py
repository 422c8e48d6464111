"""The ``mirix-app`` script runs OpenBLAS on one thread unless the user chose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "from mirix_app import entry; entry.one_blas_thread(); import numpy; "
    "from threadpoolctl import threadpool_info; "
    "print(max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))"
)


def blas_threads(**env: str) -> int:
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def test_blas_runs_on_one_thread_unless_the_user_set_it() -> None:
    assert blas_threads() == 1
    assert blas_threads(OPENBLAS_NUM_THREADS="2") == 2
