// What the engine waits for aardvark-dns to answer after a setup, and how it reads a reply.
import { test } from "node:test";
import assert from "node:assert/strict";
import { namesExpected, repliesWith } from "../../src/network/aardvark.js";
import type { NetavarkConfig, NetavarkNetwork } from "../../src/network/types.js";

const net = (name: string, gateway: string, dns: boolean): NetavarkNetwork => ({
  name,
  id: name.padEnd(64, "0"),
  driver: "bridge",
  network_interface: `mdk${name}`,
  subnets: [{ subnet: `${gateway.replace(/\.1$/, ".0")}/24`, gateway }],
  ipv6_enabled: false,
  internal: false,
  dns_enabled: dns,
  ipam_options: { driver: "host-local" },
});

test("the names waited for: on each network with names, the short id (else the name) with the address, at the gateway", () => {
  const config: NetavarkConfig = {
    container_id: "tag",
    container_name: "web",
    networks: {
      a: { interface_name: "eth0", static_ips: ["10.1.0.5"], aliases: ["0123456789ab", "db"] },
      b: { interface_name: "eth1", static_ips: ["10.2.0.7"], aliases: [] },
      plain: { interface_name: "eth2", static_ips: ["172.17.0.9"], aliases: [] },
    },
    network_info: { a: net("a", "10.1.0.1", true), b: net("b", "10.2.0.1", true), plain: net("plain", "172.17.0.1", false) },
  };
  assert.deepEqual(namesExpected(config), [
    { server: "10.1.0.1", name: "0123456789ab", ip: "10.1.0.5" },
    { server: "10.2.0.1", name: "web", ip: "10.2.0.7" },
  ]);
  // A name that is no DNS name (a label over 63 characters) cannot be asked: not waited for.
  assert.deepEqual(namesExpected({ ...config, container_name: "x".repeat(64), networks: { b: config.networks.b! } }), []);
});

/** A reply as aardvark-dns sends it: the question, then answers pointing back at its name. */
function reply(rcode: number, answers: { type: number; data: number[] }[]): Buffer {
  const question = [3, ...Buffer.from("web"), 0, 0, 1, 0, 1];
  const records = answers.flatMap((a) => [0xc0, 12, 0, a.type, 0, 1, 0, 0, 0, 60, 0, a.data.length, ...a.data]);
  return Buffer.from([0x12, 0x34, 0x81, 0x80 | rcode, 0, 1, 0, answers.length, 0, 0, 0, 0, ...question, ...records]);
}

test("a reply says the address only when it carries it in an A record, without error", () => {
  assert.equal(repliesWith(reply(0, [{ type: 1, data: [10, 1, 0, 5] }]), "10.1.0.5"), true);
  assert.equal(repliesWith(reply(0, [{ type: 5, data: [0] }, { type: 1, data: [10, 1, 0, 5] }]), "10.1.0.5"), true, "after another record");
  assert.equal(repliesWith(reply(0, [{ type: 1, data: [10, 1, 0, 6] }]), "10.1.0.5"), false, "another address");
  assert.equal(repliesWith(reply(3, []), "10.1.0.5"), false, "NXDOMAIN");
  const query = reply(0, [{ type: 1, data: [10, 1, 0, 5] }]);
  query[2] = 0x01;
  assert.equal(repliesWith(query, "10.1.0.5"), false, "a query, not a reply");
  // Cut anywhere: never read past the end, never taken for an answer.
  const whole = reply(0, [{ type: 1, data: [10, 1, 0, 5] }]);
  for (let n = 0; n < whole.length; n++) assert.equal(repliesWith(whole.subarray(0, n), "10.1.0.5"), false, `cut at ${n}`);
});
