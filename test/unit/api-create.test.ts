// docker's container create request (what the docker CLI sends for `docker run` flags) as
// the engine's create options: every field the engine does is mapped, the ones it does not
// are refused by name, and the checks are the command line's own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createOptions, type ApiCreateRequest } from "../../src/api/shapes/create.js";

const create = (body: Partial<ApiCreateRequest>) => createOptions(undefined, { Image: "busybox", ...body });

test("DNS, extra hosts, the address, the MAC address and aliases reach the engine", () => {
  const o = create({
    HostConfig: { NetworkMode: "mdknet", Dns: ["10.0.0.2"], DnsSearch: ["example.com"], DnsOptions: ["ndots:2"], ExtraHosts: ["db:10.0.0.9", "gw:host-gateway"] },
    NetworkingConfig: { EndpointsConfig: { mdknet: { IPAMConfig: { IPv4Address: "10.89.0.7" }, MacAddress: "02:42:0a:59:00:07", Aliases: ["web"] } } },
  });
  assert.deepEqual(o.dns, { servers: ["10.0.0.2"], search: ["example.com"], options: ["ndots:2"] });
  assert.deepEqual(o.addHosts, ["db:10.0.0.9", "gw:host-gateway"]);
  assert.equal(o.network, "mdknet");
  assert.equal(o.ip, "10.89.0.7");
  assert.equal(o.macAddress, "02:42:0a:59:00:07");
  assert.deepEqual(o.networkAliases, ["web"]);
});

test("several networks (docker 25+ sends each --network as an endpoint); 'default' is the engine's default", () => {
  assert.deepEqual(create({ HostConfig: { NetworkMode: "a" }, NetworkingConfig: { EndpointsConfig: { a: {}, b: {} } } }).network, ["a", "b"]);
  assert.equal(create({ HostConfig: { NetworkMode: "default" }, NetworkingConfig: { EndpointsConfig: { default: {} } } }).network, undefined);
  assert.equal(create({ HostConfig: { NetworkMode: "none" } }).network, "none");
  // Before API 1.44 the MAC address came in the container's config.
  assert.equal(create({ MacAddress: "02:42:0a:59:00:08" }).macAddress, "02:42:0a:59:00:08");
});

test("restart policies and log configs go through the same checks as --restart and --log-driver/--log-opt", () => {
  assert.equal(create({ HostConfig: { RestartPolicy: { Name: "" } } }).restart, undefined);
  assert.equal(create({ HostConfig: { RestartPolicy: { Name: "no" } } }).restart, undefined);
  assert.deepEqual(create({ HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 } } }).restart, { Name: "on-failure", MaximumRetryCount: 3 });
  assert.throws(() => create({ HostConfig: { RestartPolicy: { Name: "sometimes" } } }), /invalid restart policy 'sometimes'/);
  assert.throws(() => create({ HostConfig: { RestartPolicy: { Name: "always", MaximumRetryCount: 2 } } }), /only on-failure takes a maximum retry count/);
  assert.deepEqual(create({ HostConfig: { LogConfig: { Type: "local", Config: { "max-size": "1m" } } } }).logConfig, { Type: "local", Config: { "max-size": "1m" } });
  assert.equal(create({ HostConfig: { LogConfig: { Type: "", Config: {} } } }).logConfig, undefined);
  assert.throws(() => create({ HostConfig: { LogConfig: { Type: "syslog" } } }), /unknown log driver 'syslog'/);
  assert.throws(() => create({ HostConfig: { LogConfig: { Type: "json-file", Config: { compress: "true" } } } }), /unknown log opt 'compress'/);
});

test("what mydocker does not do is refused by name, never ignored", () => {
  const refused: [Partial<ApiCreateRequest>, RegExp][] = [
    [{ HostConfig: { Links: ["db:db"] } }, /Links \(--link\) is not supported: put the containers on a user network/],
    [{ NetworkingConfig: { EndpointsConfig: { n: { Links: ["db"] } } } }, /Links \(--link\) is not supported/],
    [{ NetworkingConfig: { EndpointsConfig: { n: { IPAMConfig: { IPv6Address: "fd00::2" } } } } }, /IPv6Address \(--ip6\) is not supported/],
    [{ HostConfig: { UsernsMode: "private" } }, /UsernsMode private \(--userns\) is not supported/],
    [{ HostConfig: { Runtime: "crun" } }, /Runtime crun \(--runtime\) is not supported/],
    [{ HostConfig: { VolumeDriver: "nfs" } }, /VolumeDriver nfs is not supported/],
    [{ HostConfig: { StorageOpt: { size: "1G" } } }, /StorageOpt \(--storage-opt\) is not supported/],
    [{ HostConfig: { BlkioDeviceReadBps: [{ Path: "/dev/sda", Rate: 1 }] } }, /BlkioDeviceReadBps .* is not supported/],
    [{ HostConfig: { CpuRealtimeRuntime: 1000 } }, /CpuRealtimePeriod\/CpuRealtimeRuntime is not supported/],
    [{ HostConfig: { DeviceRequests: [{ Count: -1 }] } }, /DeviceRequests \(--gpus\) is not supported/],
  ];
  for (const [body, message] of refused) assert.throws(() => create(body), message, JSON.stringify(body));
  // What docker's CLI sends by default passes.
  assert.doesNotThrow(() => create({ HostConfig: { Runtime: "", UsernsMode: "", Isolation: "", VolumeDriver: "", Links: null, StorageOpt: null, BlkioWeightDevice: [] } }));
});
