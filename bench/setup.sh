#!/usr/bin/env bash
# What the benchmarks need beyond npm: VictoriaMetrics for the anchor
# benchmark (Debian package), and Java + Kafka's jars for the pipeline one.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v victoria-metrics >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq victoria-metrics
  # The package enables a system service; the benchmark starts its own instance.
  $sudo systemctl disable --now victoria-metrics >/dev/null 2>&1 || true
fi
bash .ci/kafka-prereqs.sh
