#!/usr/bin/env bash
# Install Debian's chromium, the headless browser the report test renders `lakehouse report` in.
# Idempotent: nothing happens when /usr/bin/chromium exists. The package lists are refreshed only
# when a plain install fails, because `apt-get update` is the slow, network-heavy part.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
if ! $sudo apt-get install -y -qq --no-install-recommends chromium; then
  echo "chromium: install failed with the current package lists; running apt-get update" >&2
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium
fi
echo "chromium: installed $(/usr/bin/chromium --version) in $(( $(date +%s) - start ))s"
