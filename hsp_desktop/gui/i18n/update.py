"""Keep the interface translations in step with the code (a developer tool, run after changing GUI text).

    .venv/bin/python -m hsp_desktop.gui.i18n.update          # lupdate -> hsp_zh_CN.ts, then lrelease -> .qm
    .venv/bin/python -m hsp_desktop.gui.i18n.update --check  # exit 1 when a string has no translation

Translations are edited in ``hsp_zh_CN.ts`` (Qt Linguist or any XML editor); the ``.qm`` shipped with the
application is compiled from it.  The test suite fails when a GUI string has no Chinese translation.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
GUI = HERE.parent
TS = HERE / "hsp_zh_CN.ts"
QM = HERE / "hsp_zh_CN.qm"


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(f"pyside6-{name}")
    found = str(exe) if exe.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        raise FileNotFoundError(f"pyside6-{name} not found: install PySide6-Essentials in this environment")
    return found


def sources() -> list[str]:
    """The GUI's Python files, sorted (lupdate's input)."""
    return sorted(str(p) for p in GUI.rglob("*.py") if "i18n" not in p.parts)


def update_ts(ts: Path = TS) -> None:
    """Extract every translatable string into ``ts`` (existing translations are kept; vanished ones dropped)."""
    subprocess.run([_tool("lupdate"), "-no-obsolete", "-locations", "none", *sources(), "-ts", str(ts)],
                   check=True, capture_output=True)  # fmt: skip


def release(ts: Path = TS, qm: Path = QM) -> None:
    """Compile ``ts`` into the binary ``qm`` the application loads."""
    subprocess.run([_tool("lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)


def messages(ts: Path = TS) -> list[tuple[str, str, str | None]]:
    """``(context, source, translation or None when unfinished)`` for every message in ``ts``."""
    out = []
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            done = tr is not None and tr.get("type") not in ("unfinished", "vanished", "obsolete") and tr.text
            out.append((name, msg.findtext("source") or "", tr.text if done and tr is not None else None))
    return out


def untranslated(ts: Path = TS) -> list[tuple[str, str]]:
    """Messages without a finished translation."""
    return [(c, s) for c, s, t in messages(ts) if t is None]


def fill(mapping: dict[str, str], ts: Path = TS) -> int:
    """Fill unfinished translations from ``mapping`` (source -> translation); returns how many were filled."""
    tree = ET.parse(ts)
    n = 0
    for msg in tree.getroot().iter("message"):
        source = msg.findtext("source") or ""
        tr = msg.find("translation")
        if tr is not None and tr.get("type") == "unfinished" and source in mapping:
            tr.text = mapping[source]
            del tr.attrib["type"]
            n += 1
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return n


def main(argv: list[str] | None = None) -> int:
    """Update the .ts and compile the .qm, or check that every string is translated."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report untranslated strings")
    args = parser.parse_args(argv)
    if not args.check:
        update_ts()
        release()
    missing = untranslated()
    for context, source in missing:
        print(f"untranslated [{context}] {source!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
