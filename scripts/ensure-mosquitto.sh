#!/usr/bin/env bash
# Make sure Debian's mosquitto broker and clients are installed; install them only when missing and
# when this user may (root, or password-less sudo). Never starts or touches a running broker.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if have mosquitto && have mosquitto_pub; then
    exit 0
fi
echo "mosquitto or mosquitto-clients missing: installing Debian's packages" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "error: mosquitto is not installed and I may not install it: run 'sudo apt-get install mosquitto mosquitto-clients'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps it small; the package's own service is left as Debian sets it.
$SUDO apt-get install -y -qq --no-install-recommends mosquitto mosquitto-clients >/dev/null
have mosquitto || { echo "error: mosquitto still missing after install" >&2; exit 1; }
