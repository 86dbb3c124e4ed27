#!/usr/bin/env bash
# Everything a fresh Debian machine needs to run the kiosk: system packages through apt,
# a virtual environment in .venv beside this scripts/ folder, the package in it.
#
#   scripts/setup.sh               a developer's checkout: the package editable (changes to
#                                  kiosk/ take effect at once), with its runtime dependencies only
#   scripts/setup.sh --test        the same, and what only the tests need: the [test] extras
#                                  (pytest, hypothesis, selenium...) and a virtual card reader
#                                  driver and a browser, which must never be on a kiosk
#   scripts/setup.sh --wheel FILE  a kiosk (docs/deploy.md): the built wheel FILE, not editable,
#                                  with its runtime dependencies only; no checkout needed
#
# Safe to run again: it only installs what is missing, and a wheel again (an update).
set -euo pipefail

mode=develop
wheel=""
case "${1:-}" in
    "") ;;
    --test) mode=test ;;
    --wheel)
        mode=wheel
        [ -n "${2:-}" ] || { echo "scripts/setup.sh: --wheel needs the wheel file" >&2; exit 2; }
        [ -f "$2" ] || { echo "scripts/setup.sh: no such wheel: $2" >&2; exit 2; }
        wheel="$(realpath "$2")" ;;
    *) echo "usage: scripts/setup.sh [--test | --wheel FILE]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    python3 python3-venv python3-dev build-essential
    libzbar0                                  # pyzbar's barcode decoder
    pcscd libpcsclite-dev swig                # the card reader service, and what builds pyscard
    libusb-1.0-0                              # USB receipt printers
    libgl1 libegl1 libgl1-mesa-dri libmtdev1  # Kivy: OpenGL (Mesa in software when headless), touch
    xclip                                     # Kivy: clipboard of text fields (else an error at start)
    espeak-ng                                 # speech: the hall display's spoken calls, the kiosk's "Nghe"
)
# vpcd lets the tests put a virtual reader in pcscd; on a kiosk it would open a TCP port
# through which anyone on the network could insert a card, so it is for tests only.
# and a browser for the admin pages' tests; an X server and xdotool for the walk with real X events;
# PostgreSQL, whose programs the tests use to make and run a cluster of their own (tests/postgres.py)
TEST_APT_PACKAGES=(vsmartcard-vpcd chromium chromium-driver xvfb xdotool postgresql)

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "$mode" = test ]; then
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
if [ "$mode" = wheel ]; then
    # A newer build may carry the same version number, which pip would take as installed
    # already: this very wheel first, over whatever is there, then what it depends on.
    # pip compiles the .pyc files as it installs (the service cannot write them).
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --no-deps --force-reinstall "$wheel"
    .venv/bin/python -m pip install --quiet "$wheel"
    exit 0
fi
# A checkout: installed again when setup.cfg changes, or when the tests' extras are asked
# for and missing. The stamp says which: "test" includes what "develop" has.
stamp=.venv/.installed
have="$(cat "$stamp" 2>/dev/null || true)"
[ "$have" = test ] && mode=test
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ "$have" != "$mode" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    if [ "$mode" = test ]; then
        .venv/bin/python -m pip install --quiet -e ".[test]"
    else
        .venv/bin/python -m pip install --quiet -e .
    fi
    echo "$mode" > "$stamp"
fi
