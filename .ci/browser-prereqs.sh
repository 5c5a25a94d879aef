#!/usr/bin/env bash
# Makes this machine able to run the dashboard's browser tests: Debian's
# chromium when missing (the tests drive it through playwright-core with its
# executablePath; no browser is downloaded). Safe to run again.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then exit 0; fi
sudo=""
if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || echo "note: apt-get update failed; trying the install with the lists at hand"
$sudo apt-get install -y -qq chromium
