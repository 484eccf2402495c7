#!/usr/bin/env bash
# Create .venv and install HSP Desktop into it, offline-friendly and in the order pyradiomics needs.
#   packaging/bootstrap.sh          the application (runtime dependencies)
#   packaging/bootstrap.sh --dev    + training (torch CPU), federated (flwr), tests, lint; + pdftoppm/Xvfb if root
# ONNX Runtime flavour: HSP_FLAVOUR=cpu (onnxruntime) or gpu (onnxruntime-gpu, CUDA provider); by default gpu when
# `nvidia-smi` lists a GPU, else cpu.  Both provide the same `onnxruntime` module; the other one is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${HSP_FLAVOUR:-}"
if [ -z "$flavour" ]; then
  if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then flavour=gpu; else flavour=cpu; fi
fi
case "$flavour" in cpu) other=onnxruntime-gpu ;; gpu) other=onnxruntime ;;
  *) echo "bootstrap: HSP_FLAVOUR must be cpu or gpu, got '$flavour'" >&2; exit 2 ;; esac
extras="[$flavour]"
if [ "${1:-}" = "--dev" ]; then extras="[$flavour,train,federated,dev]"; fi

python3 -m venv .venv
pip=".venv/bin/python -m pip"
$pip install -q --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  # pyradiomics (the tests' reference) 3.x ships only a source package that needs numpy and versioneer to build.
  $pip install -q numpy versioneer setuptools wheel
  $pip install -q --no-build-isolation "pyradiomics>=3.0.1"
fi
# an environment made with the other flavour: two packages must not write the same `onnxruntime` module
if $pip show -q "$other" >/dev/null 2>&1; then
  $pip uninstall -q -y "$other"
  wanted=$([ "$flavour" = cpu ] && echo onnxruntime || echo onnxruntime-gpu)
  if $pip show -q "$wanted" >/dev/null 2>&1; then $pip install -q --force-reinstall --no-deps "$wanted"; fi
fi
# torch==2.13.0 (train extra) resolves to the CPU build on the project's machines.
$pip install -q -e ".${extras}"

if [ -n "$extras" ] && [ "$(id -u)" = "0" ]; then
  missing=""
  command -v pdftoppm >/dev/null || missing+=" poppler-utils"
  command -v Xvfb >/dev/null || missing+=" xvfb"
  fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing+=" fonts-noto-cjk"
  # what Qt's xcb platform plugin loads for a real window (Xvfb screenshots, a developer's desktop)
  for pkg in libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
             libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=" $pkg"
  done
  # a real PACS for the DICOM networking tests (loopback only) and dicom3tools' dciodvfy for object checks
  command -v Orthanc >/dev/null || missing+=" orthanc"
  command -v dciodvfy >/dev/null || missing+=" dicom3tools"
  if [ -n "$missing" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 \
      || echo "bootstrap: could not install$missing (PDF rendering tests will skip)" >&2
  fi
  # R's pROC: the DeLong agreement test also recomputes its stored reference live when it is there
  if ! command -v Rscript >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      r-cran-proc) >/dev/null 2>&1 || echo "bootstrap: could not install r-cran-proc (live pROC check will skip)" >&2
  fi
  # riskRegression's Score: the IPCW AUC/Brier agreement test recomputes its stored reference live when it is there
  if ! Rscript -e 'library(riskRegression)' >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      r-cran-riskregression) >/dev/null 2>&1 \
      || echo "bootstrap: could not install r-cran-riskregression (live riskRegression check will skip)" >&2
  fi
fi
echo "bootstrap: ready (.venv${extras:+ with $extras})"
