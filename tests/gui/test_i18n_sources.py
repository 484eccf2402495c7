"""lupdate cannot see a string translated inside an f-string (``f"{self.tr('x')}"``): such a string would ship
untranslated without failing the catalogue test, so the sources must not contain one."""

from __future__ import annotations

import re
from pathlib import Path

GUI = Path(__file__).resolve().parents[2] / "hsp_desktop" / "gui"
HIDDEN = re.compile(r"""\b(?:tr|translate)\((?:"[^"]*",\s*)?'""")


def test_no_translation_hidden_in_an_f_string() -> None:
    found = [
        f"{path.relative_to(GUI)}:{n}: {line.strip()}"
        for path in sorted(GUI.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if HIDDEN.search(line)
    ]
    assert not found, "move the tr() call out of the f-string (lupdate misses it):\n" + "\n".join(found)
