#!/usr/bin/env bash
# Installs the Debian packages the project needs, if any is missing:
# Redis (private Redis for `make run`), Chromium + driver (browser tests), espeak-ng + sox (test speech),
# the compilers llama-cpp-python builds with, coturn (TURN tests) and caddy (load balancer, Caddyfile check).
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v turnserver >/dev/null || need+=(coturn)
command -v caddy >/dev/null || need+=(caddy)
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
