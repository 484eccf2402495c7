"""PyInstaller entry script of HSP Desktop: GUI or ``hsp`` command line (see :mod:`hsp_desktop.frozen`)."""

import sys

from hsp_desktop.frozen import main

if __name__ == "__main__":
    sys.exit(main())
