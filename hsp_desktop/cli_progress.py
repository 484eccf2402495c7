"""Command-line progress: a tqdm bar on a terminal, plain lines (no carriage returns) in logs and pipes."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class LineProgress:
    """The part of tqdm's interface the commands use, printing one line per stage or per ``step`` percent.

    A log file or a CI console then reads ``radiomics: 40%`` lines instead of hundreds of bar frames joined by carriage returns.
    """

    def __init__(self, total: float, desc: str = "", *, file: TextIO | None = None, step: int = 10) -> None:
        self.total = float(total) or 1.0
        self.n = 0.0
        self.desc = desc
        self.postfix = ""
        self.file = file
        self.step = step
        self._printed: tuple[str, int] | None = None

    def _emit(self) -> None:
        pct = int(100 * self.n / self.total)
        bucket = pct - pct % self.step
        if self._printed is not None and self._printed == (self.desc, bucket):
            return
        self._printed = (self.desc, bucket)
        tail = f"  {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {bucket}%{tail}".strip(), file=self.file or sys.stderr, flush=True)

    def update(self, n: float = 1) -> None:
        """Advance by ``n``."""
        self.n += n
        self._emit()

    def set_description_str(self, desc: str, refresh: bool = True) -> None:
        """Name the current stage (a new stage prints a line)."""
        self.desc = desc
        self._emit()

    set_description = set_description_str

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        """Detail shown with the next printed line."""
        self.postfix = text

    def close(self) -> None:
        """Print the final line when the work completed."""
        if self.n >= self.total:
            self._emit()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(total: float, desc: str = "", *, file: TextIO | None = None, **tqdm_options: Any) -> Any:
    """A tqdm bar when ``file`` (default stderr) is a terminal, else a :class:`LineProgress`."""
    stream = file or sys.stderr
    if tqdm_options.get("disable"):
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, file=stream, **tqdm_options)
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, file=stream, **tqdm_options)
    return LineProgress(total, desc, file=stream)
