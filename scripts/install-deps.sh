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
# iproute2/iptables for networks, netavark (bridges, veths, firewall rules, port
# forwarding) and aardvark-dns (container names), which podman's network stack uses.
apt-get install -y -q --no-install-recommends \
  gcc g++ make python3 libc6-dev tar attr busybox-static util-linux iproute2 iptables procps \
  containernetworking-plugins netavark aardvark-dns
# Peers the tests interoperate with and the benchmarks compare with (podman with its
# recommended helpers, as PEERS.md installs it).
apt-get install -y -q \
  runc crun podman conmon skopeo umoci docker-registry hyperfine tmux zstd openssl \
  containerd docker-compose
# The docker CLI drives `mydocker serve` in the tests (only its client is used); Debian's
# docker.io provides one where none is installed.
command -v docker >/dev/null || apt-get install -y -q docker.io
