// Published ports: docker's -p/--publish forms parsed into its PortBindings, and, at start,
// settled into the ports the container's monitor listens on (a random host port when none is
// given, a free one of a host range). The monitor's bind is the one check that a port is
// free: a clash fails the start before the container runs (clash() words it).
import net from "node:net";
import dgram from "node:dgram";
import { MydockerError } from "../util/errors.js";

/** docker's "80/tcp" → [{ HostIp, HostPort }]; HostPort "" is a random port, "8000-8010" any free one of a range. */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}
export type PortBindings = Record<string, PortBinding[]>;

type Proto = "tcp" | "udp";

/** One published port of a run, as port, ps and inspect show it. */
export interface PublishedPort {
  protocol: Proto;
  /** "": every address of the host's (0.0.0.0). */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

function bad(spec: string, why: string): MydockerError {
  return new MydockerError("EINVAL", `invalid port specification "${spec}": ${why}; the form is [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], ports 1-65535 or ranges like 8000-8010`);
}

function parseRange(s: string, spec: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) throw bad(spec, `"${s}" is not a port or a range`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) throw bad(spec, `"${s}" is out of 1-65535 or backwards`);
  return [a, b];
}

export function parseProto(s: string | undefined, spec: string): Proto {
  const p = (s ?? "tcp").toLowerCase();
  if (p !== "tcp" && p !== "udp") throw bad(spec, `protocol "${s}" is not tcp or udp`);
  return p;
}

/** "80", "80/udp", "8000-8010/tcp": the container ports --expose names, as "PORT/PROTO" keys. */
export function parseExpose(spec: string): string[] {
  const [ports, proto, extra] = spec.split("/");
  if (extra !== undefined) throw bad(spec, "more than one /");
  const p = parseProto(proto, spec);
  const [a, b] = parseRange(ports!, spec);
  return Array.from({ length: b - a + 1 }, (_, i) => `${a + i}/${p}`);
}

/** One -p into PortBindings entries (merged into bindings). */
export function parsePublish(spec: string, bindings: PortBindings): void {
  const [addr, proto, extra] = spec.split("/");
  if (extra !== undefined) throw bad(spec, "more than one /");
  const p = parseProto(proto, spec);
  const parts = addr!.split(":");
  if (parts.length > 3) throw bad(spec, "too many colons (IPv6 host addresses are not supported)");
  const [container, hostPort = "", hostIp = ""] = [...parts].reverse();
  if (hostIp && net.isIPv4(hostIp) === false) throw bad(spec, `host address "${hostIp}" is not an IPv4 address`);
  const [ca, cb] = parseRange(container!, spec);
  let hosts: string[];
  if (hostPort === "") hosts = Array<string>(cb - ca + 1).fill("");
  else {
    const [ha, hb] = parseRange(hostPort, spec);
    if (ca === cb) hosts = [ha === hb ? String(ha) : `${ha}-${hb}`];
    else if (hb - ha !== cb - ca) throw bad(spec, "the host and container ranges differ in length");
    else hosts = Array.from({ length: cb - ca + 1 }, (_, i) => String(ha + i));
  }
  for (let i = 0; i <= cb - ca; i++) {
    const key = `${ca + i}/${p}`;
    (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hosts[i]! });
  }
}

/** Whether nothing on the host holds port on ip (the all-addresses one when ip is ""). */
function portFree(ip: string, port: number, proto: Proto): Promise<boolean> {
  const host = ip || "0.0.0.0";
  return new Promise((resolve) => {
    if (proto === "udp") {
      const s = dgram.createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the kernel picks from its ephemeral range, free now. */
function randomPort(ip: string, proto: Proto): Promise<number> {
  const host = ip || "0.0.0.0";
  return new Promise((resolve, reject) => {
    if (proto === "udp") {
      const s = dgram.createSocket("udp4");
      s.once("error", reject);
      s.bind({ address: host, port: 0 }, () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      });
      return;
    }
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen({ host, port: 0 }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The clash a monitor's bind met: who holds the port, when a container of this engine does. */
export function clash(ip: string, port: number, who: string | undefined): MydockerError {
  return new MydockerError(
    "EPORTINUSE",
    `Bind for ${ip || "0.0.0.0"}:${port} failed: port is already allocated${who ? ` (by container ${who})` : ""}: publish another host port or stop what holds it`,
  );
}

/**
 * The ports a container's bindings publish (and, with publishAll, each exposed port without
 * one, on a random port), every host port settled.
 */
export async function resolvePorts(bindings: PortBindings, exposed: string[], publishAll: boolean): Promise<PublishedPort[]> {
  const all: [string, PortBinding[]][] = Object.entries(bindings);
  if (publishAll) for (const key of exposed) if (!bindings[key]) all.push([key, [{ HostIp: "", HostPort: "" }]]);
  const out: PublishedPort[] = [];
  const mine = (ip: string, port: number, proto: Proto) => out.some((m) => m.hostPort === port && m.protocol === proto && (!m.hostIp || !ip || m.hostIp === ip));
  for (const [key, list] of all) {
    const [cport, protoS] = key.split("/");
    const proto = parseProto(protoS, key);
    for (const b of list) {
      let port: number | undefined;
      if (b.HostPort === "") {
        for (let i = 0; i < 20 && port === undefined; i++) {
          const p = await randomPort(b.HostIp, proto);
          if (!mine(b.HostIp, p, proto)) port = p;
        }
      } else {
        const [a, z] = parseRange(b.HostPort, key);
        // One port: the monitor's bind says whether it is free. A range: the first free one now.
        if (a === z) port = a;
        for (let p = a; p <= z && port === undefined; p++) if (!mine(b.HostIp, p, proto) && (await portFree(b.HostIp, p, proto))) port = p;
      }
      if (port === undefined) throw clash(b.HostIp, Number(b.HostPort.split("-")[0]), undefined);
      out.push({ protocol: proto, hostIp: b.HostIp, hostPort: port, containerPort: Number(cport) });
    }
  }
  return out;
}
