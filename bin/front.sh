# What bin/mydocker and bin/myrunc share, sourced by both once they have found the directory
# they live in (bin): `front NAME DIR ARGS...` execs node on the command line NAME whose
# bundle is in dist/src/DIR (scripts/bundle.mjs). It starts node from that command line's V8
# startup snapshot (main.blob: its code compiled, its modules loaded) when there is one
# newer than the code, made by the node binary found (dated as it); else node runs
# bin/NAME.cjs (the bundle with a compile cache). It never stays: signals, exit codes, stdin
# and the terminal are node's.

front() {
  name=$1
  dist=$bin/../dist/src/$2
  shift 2
  # node reads the certificates NODE_EXTRA_CA_CERTS names as it starts, ~25 ms for a system
  # bundle, whether or not the command makes a TLS connection. The engine reads them from
  # MYDOCKER_EXTRA_CA_CERTS when it makes one (src/util/extra-ca.ts), and trusts them
  # beside node's own roots, as node would have.
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
    MYDOCKER_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
    export MYDOCKER_EXTRA_CA_CERTS
  fi
  unset NODE_EXTRA_CA_CERTS
  # glibc's malloc asks for transparent huge pages (where the host gives them on madvise, as
  # Debian's default): node copies its startup snapshot a few times as it starts, each 4 kB
  # page a fault (~2 ms of a run). Not when the caller has tunables of its own; node takes it
  # out of the environment its children get (src/util/front-env.ts).
  if [ -z "${GLIBC_TUNABLES+set}" ]; then
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 MYDOCKER_FRONT_TUNABLES=1
    export GLIBC_TUNABLES MYDOCKER_FRONT_TUNABLES
  fi
  # node on PATH, found without a subshell (whose fork is a good part of this script's cost).
  node=
  set -f
  oifs=$IFS
  IFS=:
  for dir in $PATH; do
    if [ -f "${dir:-.}/node" ] && [ -x "${dir:-.}/node" ]; then node=${dir:-.}/node; break; fi
  done
  IFS=$oifs
  set +f
  [ -n "$node" ] || { echo "$name: node is not on PATH" >&2; exit 127; }
  # `--` ends node's options: node 20 otherwise takes a later `--env-file FILE` (docker
  # run's) as its own, and exits when FILE does not exist. node loads a snapshot only under
  # the V8 flags it was made with: NODE_OPTIONS may hold others. And only from the node that
  # made it (any other exits 14 on it): the build dates main.blob.node as that node binary
  # (touch -r), and a node dated otherwise is another one: an upgrade (which dates the new
  # binary as its package did, older than the snapshot), a node rewritten in place, or
  # another node first on PATH.
  stamp=$dist/main.blob.node
  if [ -z "${NODE_OPTIONS:-}" ] && [ "$dist/main.blob" -nt "$dist/main.js" ] && [ -f "$stamp" ] && [ ! "$node" -nt "$stamp" ] && [ ! "$stamp" -nt "$node" ]; then
    exec "$node" --snapshot-blob "$dist/main.blob" -- "$dist/snapshot.cjs" "$@"
  fi
  exec "$node" -- "$bin/$name.cjs" "$@"
}
