// docker's -p/--expose forms, and the address arithmetic of the engine's IPAM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseExpose, parsePublish, type PortBindings } from "../../src/network/ports.js";
import { formatCidr, formatIp, nextFreeIp, overlaps, parseCidr, parseIp, poolSubnets } from "../../src/network/ipam.js";
import { portsText, publishedPorts } from "../../src/engine/networks/settings.js";

function publish(...specs: string[]): PortBindings {
  const b: PortBindings = {};
  for (const s of specs) parsePublish(s, b);
  return b;
}

test("-p: every docker form becomes docker's PortBindings", () => {
  assert.deepEqual(publish("80"), { "80/tcp": [{ HostIp: "", HostPort: "" }] });
  assert.deepEqual(publish("8080:80"), { "80/tcp": [{ HostIp: "", HostPort: "8080" }] });
  assert.deepEqual(publish("127.0.0.1:8080:80/udp"), { "80/udp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] });
  assert.deepEqual(publish("127.0.0.1::80"), { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
  assert.deepEqual(publish("8000-8001:80-81"), { "80/tcp": [{ HostIp: "", HostPort: "8000" }], "81/tcp": [{ HostIp: "", HostPort: "8001" }] });
  assert.deepEqual(publish("8000-8010:80"), { "80/tcp": [{ HostIp: "", HostPort: "8000-8010" }] }, "a host range for one port: any free one of it");
  assert.deepEqual(publish("90-91"), { "90/tcp": [{ HostIp: "", HostPort: "" }], "91/tcp": [{ HostIp: "", HostPort: "" }] });
  assert.deepEqual(publish("80", "127.0.0.1:8080:80"), { "80/tcp": [{ HostIp: "", HostPort: "" }, { HostIp: "127.0.0.1", HostPort: "8080" }] });
});

test("-p: bad forms are refused in one line that shows the form", () => {
  for (const bad of ["0", "70000", "80/sctp", "a:80", "1.2.3:80:80", "8000-8002:80-81", "90-80", "1:2:3:4", "80/tcp/udp"]) {
    assert.throws(() => publish(bad), (e: Error) => /^invalid port specification ".*": .*; the form is \[IP:\]\[HOSTPORT:\]CONTAINERPORT\[\/tcp\|udp\]/.test(e.message), bad);
  }
});

test("--expose: ports and ranges with their protocol", () => {
  assert.deepEqual(parseExpose("80"), ["80/tcp"]);
  assert.deepEqual(parseExpose("53/udp"), ["53/udp"]);
  assert.deepEqual(parseExpose("7000-7002"), ["7000/tcp", "7001/tcp", "7002/tcp"]);
  assert.throws(() => parseExpose("x"));
});

test("published ports as inspect, port and ps show them", () => {
  const c = { config: { ExposedPorts: { "80/tcp": {}, "443/tcp": {} } } } as never;
  const run = { config: {}, result: {}, ports: [{ protocol: "tcp", hostIp: "", hostPort: 32768, containerPort: 80 }] } as never;
  const ports = publishedPorts(c, run);
  assert.deepEqual(ports, { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }], "443/tcp": null });
  assert.equal(portsText(ports), "0.0.0.0:32768->80/tcp, 443/tcp");
});

test("IPAM: CIDRs, overlaps, the pool and the next free address", () => {
  assert.equal(parseIp("10.1.2.3"), 0x0a010203);
  assert.equal(parseIp("10.1.2.256"), undefined);
  assert.equal(formatIp(0xac110001), "172.17.0.1");
  assert.deepEqual(parseCidr("10.1.0.0/16"), { base: 0x0a010000, prefix: 16 });
  assert.throws(() => parseCidr("10.1.0.1/16"), /host bits set; did you mean 10\.1\.0\.0\/16\?/);
  assert.throws(() => parseCidr("10.1.0.0"), /ADDRESS\/BITS/);
  assert.ok(overlaps(parseCidr("10.0.0.0/8"), parseCidr("10.5.0.0/24")));
  assert.ok(!overlaps(parseCidr("10.5.1.0/24"), parseCidr("10.5.0.0/24")));
  const pool = poolSubnets();
  assert.equal(formatCidr(pool.next().value as never), "172.17.0.0/24");
  assert.equal(formatCidr(pool.next().value as never), "172.17.1.0/24");
  assert.equal([...poolSubnets()].length, 15 * 256, "every /24 of 172.17-31");
  assert.equal(formatCidr([...poolSubnets()].at(-1)!), "172.31.255.0/24");
  // The default network's size: as many addresses as a bridge has ports.
  assert.deepEqual([...poolSubnets(22)].slice(0, 2).map(formatCidr), ["172.17.0.0/22", "172.17.4.0/22"]);
  const subnet = parseCidr("10.9.0.0/29");
  const gw = parseIp("10.9.0.1")!;
  assert.equal(formatIp(nextFreeIp(subnet, subnet, gw, new Set())), "10.9.0.2");
  assert.equal(formatIp(nextFreeIp(subnet, subnet, gw, new Set([parseIp("10.9.0.2")!]))), "10.9.0.3");
  assert.equal(formatIp(nextFreeIp(subnet, parseCidr("10.9.0.4/30"), gw, new Set())), "10.9.0.4", "--ip-range");
  const full = new Set([2, 3, 4, 5, 6].map((i) => parseIp(`10.9.0.${i}`)!));
  assert.throws(() => nextFreeIp(subnet, subnet, gw, full), /no available IPv4 addresses/);
  // Next-fit: on from the last address given out, wrapping around past the broadcast address.
  assert.equal(formatIp(nextFreeIp(subnet, subnet, gw, new Set(), parseIp("10.9.0.4"))), "10.9.0.5");
  assert.equal(formatIp(nextFreeIp(subnet, subnet, gw, new Set([parseIp("10.9.0.2")!]), parseIp("10.9.0.6"))), "10.9.0.3");
});
