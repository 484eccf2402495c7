"""Numba kernels: pure numeric functions (arrays in, arrays out; no I/O).

Each public kernel validates and coerces its inputs, allocates the output and calls a private ``@njit``
function that does the work.  The JIT options live in :mod:`kernels._jit`.
"""
