// --host values: unix:///path, or tcp://host:port, which is refused off loopback without TLS
// (an open TCP port to the engine is root on the host for whoever reaches it).
import net from "node:net";
import { MydockerError } from "../util/errors.js";

export type Listener = { kind: "unix"; path: string } | { kind: "tcp"; address: string; port: number };

export const DEFAULT_HOST = "unix:///run/mydocker/docker.sock";

function isLoopback(address: string): boolean {
  if (address === "localhost") return true;
  if (net.isIPv4(address)) return address.startsWith("127.");
  return address === "::1";
}

export function parseHost(host: string, tls: boolean): Listener {
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    if (!path.startsWith("/")) throw new MydockerError("EINVAL", `invalid --host ${host}: a unix socket needs an absolute path (unix:///run/mydocker/docker.sock)`);
    return { kind: "unix", path };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/.exec(host);
  if (!m) throw new MydockerError("EINVAL", `invalid --host ${host}: use unix:///PATH or tcp://HOST:PORT`);
  const address = m[1]!.replace(/^\[|\]$/g, "");
  const port = Number(m[2]);
  if (port > 65535) throw new MydockerError("EINVAL", `invalid --host ${host}: port ${port} is out of range`);
  if (!isLoopback(address) && !tls) {
    throw new MydockerError("EINVAL", `refusing to listen on ${host} without TLS: give --tlscert and --tlskey (and --tlscacert for client certificates), or use a loopback address`);
  }
  return { kind: "tcp", address, port };
}
