"""``python -m hsp_desktop`` opens the desktop application."""

import sys


def main() -> int:
    """Start the desktop application and return its exit code."""
    from hsp_desktop.gui.app import run_app

    return run_app(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
