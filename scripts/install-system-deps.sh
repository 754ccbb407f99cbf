#!/usr/bin/env bash
# Installs the system packages talkgrad needs on Debian 12 (run as root):
# - a Vulkan driver that Dawn accepts: Mesa >= 23 (lavapipe, a software adapter)
#   from bookworm-backports, and the Vulkan loader;
# - Debian's Fashion-MNIST package, used by the tests that read the full data set;
# - Chromium, for the browser tests.
# Packages that are already installed are skipped, so a second run is fast.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

installed() {
  dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

mesa_major() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+).*/\1/'
}

need_mesa=1
if installed mesa-vulkan-drivers && installed libvulkan1 && [ "$(mesa_major)" -ge 23 ]; then need_mesa=0; fi
need_other=()
for pkg in dataset-fashion-mnist chromium; do installed "$pkg" || need_other+=("$pkg"); done

if [ "$need_mesa" -eq 0 ] && [ "${#need_other[@]}" -eq 0 ]; then
  echo "== system packages already installed"
  exit 0
fi

if [ "$need_mesa" -eq 1 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "== adding the bookworm-backports source"
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi

echo "== apt-get update"
apt-get update -qq
if [ "$need_mesa" -eq 1 ]; then
  echo "== installing Mesa's Vulkan drivers from bookworm-backports"
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi
if [ "${#need_other[@]}" -gt 0 ]; then
  echo "== installing ${need_other[*]}"
  apt-get install -y -qq --no-install-recommends "${need_other[@]}" >/dev/null
fi
