# Build HSP Desktop for Windows 10/11 x64 clinic PCs: dist\hsp-desktop\ (one folder) + dist\hsp-desktop.sha256.
# Run in PowerShell from the repository root, on a Windows build PC with Python 3.11 x64 and git:
#   py -3.11 -m venv .venv
#   .venv\Scripts\python -m pip install numpy versioneer setuptools wheel
#   .venv\Scripts\python -m pip install --no-build-isolation "pyradiomics>=3.0.1"
#   .venv\Scripts\python -m pip install -e ".[package]"
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 [-Flavour cpu|gpu]
# Output: hsp-desktop.exe (the desktop application, no console window) and hsp.exe (the command line: hsp.exe
# selftest, hsp.exe demo) sharing one _internal folder. Install by copying the folder to
# "C:\Program Files\HSP Desktop" (read-only for users; Numba's cache goes to %LOCALAPPDATA%\hsp-desktop).
param([ValidateSet("cpu", "gpu")][string]$Flavour = "cpu")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$py = ".venv\Scripts\python.exe"
if (-not $env:SOURCE_DATE_EPOCH) { $env:SOURCE_DATE_EPOCH = (git log -1 --format=%ct) }
$env:PYTHONHASHSEED = "0"
$env:HSP_FLAVOUR = $Flavour
New-Item -ItemType Directory -Force build | Out-Null
$id = & $py packaging\build_tools.py stamp --out build\stamp
Write-Host "build: HSP Desktop $id (flavour $Flavour)"
(Get-Content packaging\windows\version_info.txt.in) -replace "@BUILD_ID@", $id | Set-Content build\version_info.txt
$env:HSP_BUILD_STAMP = (Resolve-Path build\stamp).Path
if (Test-Path dist\hsp-desktop) { Remove-Item -Recurse -Force dist\hsp-desktop }
& $py -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\hsp-desktop.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
Copy-Item packaging\windows\hsp-desktop.ico dist\hsp-desktop\
& $py packaging\build_tools.py manifest dist\hsp-desktop
$tmp = Join-Path $env:TEMP ("hsp-selftest-" + [guid]::NewGuid())
$env:HSP_DATA_DIR = $tmp
& dist\hsp-desktop\hsp.exe selftest
if ($LASTEXITCODE -ne 0) { throw "self-test of the bundle FAILED" }
Remove-Item -Recurse -Force $tmp
Write-Host "build: dist\hsp-desktop ready"
