// A container's address on a network: the one asked for (--ip), or the next free one.
import { MydockerError } from "../../util/errors.js";
import { contains, formatIp, nextFreeIp, parseCidr, parseIp } from "../../network/ipam.js";
import type { Endpoint, NetworkRecord, NetworkStore } from "../../network/store.js";
import type { ContainerRecord } from "../container-store.js";
import { DEFAULT_NETWORK } from "./modes.js";

export interface JoinRequest {
  ip?: string;
  mac?: string;
  aliases?: string[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Records c's endpoint on n, never on an address of reserved (numbers, as parseIp gives them). */
export function joinNetwork(store: NetworkStore, c: ContainerRecord, n: NetworkRecord, req: JoinRequest, reserved: Set<number>): Endpoint {
  const subnet = parseCidr(n.subnet);
  if (req.mac !== undefined && !MAC.test(req.mac)) throw new MydockerError("EINVAL", `invalid MAC address ${req.mac}: give six colon-separated hex bytes`);
  if (req.ip !== undefined) {
    const ip = parseIp(req.ip);
    if (ip === undefined || !contains(subnet, ip)) throw new MydockerError("EINVAL", `invalid IP address ${req.ip}: it must be an address of the network ${n.name}'s subnet ${n.subnet}`);
    if (n.name === DEFAULT_NETWORK) throw new MydockerError("EINVAL", "user specified IP address is supported on user defined networks only");
  }
  const aliases = n.dns ? [...(req.aliases ?? [])] : [];
  for (let attempt = 0; attempt < 50; attempt++) {
    const used = new Set([...reserved, ...store.usedIps(n.id).map((s) => parseIp(s)!)]);
    const ip = req.ip ?? formatIp(nextFreeIp(subnet, parseCidr(n.ipRange), parseIp(n.gateway)!, used, parseIp(store.lastIp(n.id))));
    const ep: Endpoint = { networkId: n.id, containerId: c.id, ip, mac: req.mac ?? "", aliases };
    if (store.addEndpoint(ep)) {
      if (req.ip === undefined) store.setLastIp(n.id, ip);
      return ep;
    }
    if (req.ip !== undefined) throw new MydockerError("EADDRINUSE", `Address already in use: ${req.ip} is taken on network ${n.name}`);
  }
  throw new MydockerError("EADDRINUSE", `could not allocate an address on network ${n.name}: too many containers starting at once; try again`);
}
