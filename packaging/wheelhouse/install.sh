#!/bin/sh
# Install HSP Desktop from this folder into a new virtual environment, without any network access.
#   ./install.sh [TARGET]        (default TARGET: ./hsp-desktop-env; needs Python 3.11 as `python3`)
# Afterwards: TARGET/bin/hsp selftest   and   TARGET/bin/python -m hsp_desktop   (the desktop application)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target=${1:-"$PWD/hsp-desktop-env"}
python=${PYTHON:-python3}
if command -v sha256sum >/dev/null 2>&1; then (cd "$here" && sha256sum --quiet -c SHA256SUMS); fi
"$python" -m venv "$target"
# the ONNX Runtime flavour this wheelhouse was built with (cpu: onnxruntime, gpu: onnxruntime-gpu)
flavour=$(cat "$here/FLAVOUR")
"$target/bin/python" -m pip install --no-index --find-links "$here" --only-binary :all: "hsp-desktop[$flavour]"
echo "installed into $target; check it with: $target/bin/hsp selftest"
