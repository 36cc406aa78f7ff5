#!/usr/bin/env bash
# Installs the system packages mydocker needs (Debian 12), and the peers its tests and
# benchmarks compare with. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Build and run: a C compiler for the shim and native/fsat.node (against node's own
# headers, include/node, which Node.js releases and NodeSource's nodejs ship; g++/python3
# for better-sqlite3 when npm builds it from source), tar, busybox for the first image,
# attr (setfattr, for a test; layers' xattrs go through fsat.node), procps for top,
# iproute2/iptables and the CNI plugins for networks.
apt-get install -y -q --no-install-recommends \
  gcc g++ make python3 libc6-dev tar attr busybox-static util-linux iproute2 iptables procps \
  containernetworking-plugins
# Peers the tests interoperate with and the benchmarks compare with (podman with its
# recommended helpers, as PEERS.md installs it).
apt-get install -y -q \
  runc crun podman conmon skopeo umoci docker-registry hyperfine tmux zstd openssl
