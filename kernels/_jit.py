"""The one place that sets Numba's JIT options.

``cache=True`` keeps compiled code between runs (``NUMBA_CACHE_DIR`` points to a per-user folder in the
installed app); ``nogil=True`` lets worker threads run kernels in parallel; ``fastmath=False`` keeps the
clinical numbers reproducible and equal to the NumPy references.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])

JIT_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": False}


def njit(func: F) -> F:
    """Compile ``func`` with the project's JIT options."""
    return numba.njit(**JIT_OPTIONS)(func)  # type: ignore[no-any-return]
