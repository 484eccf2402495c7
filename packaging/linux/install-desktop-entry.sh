#!/bin/sh
# Add HSP Desktop to the applications menu of this user (or of every user with --system, as root).
# Run it from the installed folder, e.g. /opt/hsp-desktop/install-desktop-entry.sh ; nothing is downloaded.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--system" ]; then dest=/usr/share/applications; else dest="${XDG_DATA_HOME:-$HOME/.local/share}/applications"; fi
mkdir -p "$dest"
sed "s|@PREFIX@|$here|g" "$here/hsp-desktop.desktop" > "$dest/hsp-desktop.desktop"
chmod 0644 "$dest/hsp-desktop.desktop"
echo "installed $dest/hsp-desktop.desktop"
