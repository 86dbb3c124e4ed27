#!/usr/bin/env bash
# Everything a fresh Debian machine needs to run the kiosk and its tests:
# system packages through apt, a virtual environment in .venv, the package in it.
# Safe to run again: it only installs what is missing. `--test` adds what only the
# tests need (a virtual card reader driver that must never be on a kiosk).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    python3 python3-venv python3-dev build-essential
    libzbar0                                  # pyzbar's barcode decoder
    pcscd libpcsclite-dev swig                # the card reader service, and what builds pyscard
    libusb-1.0-0                              # USB receipt printers
    libgl1 libegl1 libgl1-mesa-dri libmtdev1  # Kivy: OpenGL (Mesa in software when headless), touch
    xclip                                     # Kivy: clipboard of text fields (else an error at start)
)
# vpcd lets the tests put a virtual reader in pcscd; on a kiosk it would open a TCP port
# through which anyone on the network could insert a card, so it is for tests only.
TEST_APT_PACKAGES=(vsmartcard-vpcd chromium chromium-driver)  # and a browser for the admin pages' tests

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${1:-}" = "--test" ]; then
    for package in "${TEST_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's own Python, so that what the README promises does not depend on another one.
if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test]"
    touch "$stamp"
fi
