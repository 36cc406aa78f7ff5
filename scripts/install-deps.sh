#!/usr/bin/env bash
# Installs the system packages mydocker needs (Debian 12), and the peers its tests and
# benchmarks compare with. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Build and run: a C compiler for the shim, tar, busybox for the first image, attr for
# layer xattrs, iproute2/iptables and the CNI plugins for networks.
apt-get install -y -q --no-install-recommends \
  gcc make libc6-dev tar attr busybox-static util-linux iproute2 iptables procps \
  containernetworking-plugins
# Peers the tests interoperate with and the benchmarks compare with.
apt-get install -y -q --no-install-recommends \
  runc crun podman conmon skopeo umoci docker-registry hyperfine tmux
