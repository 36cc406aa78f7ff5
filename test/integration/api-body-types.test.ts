// The raw Engine API given bodies of the wrong JSON types: every body the daemon reads is
// refused with a 400 in dockerd's words (never a 500 from a TypeError), and nothing is left
// behind: no container, network, volume or image.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { api, servedSuite } from "../helpers/serve.js";

const { skip, served: s } = servedSuite({ dockerCli: false });

const unmarshal = (kind: string, field: string, type: string) => `invalid JSON: json: cannot unmarshal ${kind} into Go struct field ${field} of type ${type}`;

test("container create: each wrong type is a 400 naming the field, and nothing is created", { skip }, async () => {
  const cases: [object, string][] = [
    [{ Env: [1] }, unmarshal("number", "ContainerConfigWrapper.Env", "string")],
    [{ HostConfig: { Binds: [1] } }, unmarshal("number", "HostConfig.HostConfig.Binds", "string")],
    [{ HostConfig: { Memory: "64m" } }, unmarshal("string", "HostConfig.HostConfig.Memory", "int64")],
    [{ HostConfig: { PortBindings: { "80/tcp": [{ HostPort: 1 }] } } }, unmarshal("number", "PortBinding.HostConfig.PortBindings.HostPort", "string")],
    [{ Image: ["busybox"] }, unmarshal("array", "ContainerConfigWrapper.Image", "string")],
    [{ StopTimeout: "x" }, unmarshal("string", "ContainerConfigWrapper.StopTimeout", "int")],
    [{ Labels: { a: 1 } }, unmarshal("number", "ContainerConfigWrapper.Labels", "string")],
    [{ HostConfig: { Mounts: [{ Type: "bind", Source: 7, Target: "/t" }] } }, unmarshal("number", "Mount.HostConfig.Mounts.Source", "string")],
    [{ Cmd: { a: 1 } }, unmarshal("object", "ContainerConfigWrapper.Cmd", "[]string")],
  ];
  for (const [body, message] of cases) {
    const r = await api(s(), "POST", "/v1.47/containers/create?name=typed", { Image: "busybox", ...body });
    assert.deepEqual([r.status, r.body.message], [400, message], JSON.stringify(body));
  }
  const whole = await api(s(), "POST", "/v1.47/containers/create", [1]);
  assert.deepEqual([whole.status, whole.body.message], [400, "invalid JSON: json: cannot unmarshal array into Go value of type ContainerConfigWrapper"]);
  assert.deepEqual((await api(s(), "GET", "/v1.47/containers/json?all=1")).body, []);
});

test("exec, update, commit, networks and volumes check their bodies the same way", { skip }, async () => {
  const cases: [string, string, unknown, string][] = [
    ["POST", "/v1.47/containers/none/exec", { Cmd: "ls" }, unmarshal("string", "ExecOptions.Cmd", "[]string")],
    ["POST", "/v1.47/exec/none/start", { Detach: "yes" }, unmarshal("string", "ExecStartCheck.Detach", "bool")],
    ["POST", "/v1.47/containers/none/update", { Memory: "1g" }, unmarshal("string", "UpdateConfig.Memory", "int64")],
    ["POST", "/v1.47/commit?container=none", { Env: "A=1" }, unmarshal("string", "Config.Env", "[]string")],
    ["POST", "/v1.47/networks/create", { Name: "mdktyped", Labels: { a: true } }, unmarshal("bool", "NetworkCreateRequest.Labels", "string")],
    ["POST", "/v1.47/networks/create", { Name: "mdktyped", IPAM: { Config: [{ Subnet: 10 }] } }, unmarshal("number", "IPAMConfig.IPAM.Config.Subnet", "string")],
    ["POST", "/v1.47/networks/none/connect", { Container: 1 }, unmarshal("number", "NetworkConnect.Container", "string")],
    ["POST", "/v1.47/networks/none/disconnect", { Container: ["x"] }, unmarshal("array", "NetworkDisconnect.Container", "string")],
    ["POST", "/v1.47/volumes/create", { Name: "typed", Labels: [] }, unmarshal("array", "CreateOptions.Labels", "map[string]string")],
    ["POST", "/v1.47/auth", { username: 1 }, unmarshal("number", "AuthConfig.username", "string")],
  ];
  for (const [method, p, body, message] of cases) {
    const r = await api(s(), method, p, body);
    assert.deepEqual([r.status, r.body.message], [400, message], `${p} ${JSON.stringify(body)}`);
  }
  const nets = (await api(s(), "GET", "/v1.47/networks")).body as { Name: string }[];
  assert.ok(!nets.some((n) => n.Name === "mdktyped"));
  assert.deepEqual((await api(s(), "GET", "/v1.47/volumes")).body.Volumes, []);
});

test("filters and X-Registry-Auth of the wrong types are refused with 400, not taken apart as strings", { skip }, async () => {
  for (const filters of [{ status: 1 }, { label: "a=b" }, { name: [1] }, ["x"], "x"]) {
    const r = await api(s(), "GET", `/v1.47/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`);
    assert.equal(r.status, 400, JSON.stringify(filters));
    assert.match(r.body.message, /^invalid filters: /);
  }
  const ok = await api(s(), "GET", `/v1.47/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ status: { exited: true } }))}`);
  assert.equal(ok.status, 200);
  const auth = Buffer.from(JSON.stringify({ username: 1, password: "p" })).toString("base64url");
  const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ socketPath: s().socket, method: "POST", path: "/v1.47/images/create?fromImage=127.0.0.1:9/none&tag=x", headers: { "X-Registry-Auth": auth } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(reply.status, 400, reply.body);
  assert.equal(JSON.parse(reply.body).message, unmarshal("number", "AuthConfig.username", "string"));
});
