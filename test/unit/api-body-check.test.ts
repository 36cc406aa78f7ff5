// API request bodies checked against their types: a value of the wrong JSON type in any field
// is refused with dockerd's 400 wording, and a body that passes never meets a TypeError later.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkBody } from "../../src/api/shapes/check.js";
import { containerConfigShape, createShape, hostConfigShape } from "../../src/api/shapes/create-schema.js";
import { createOptions } from "../../src/api/shapes/create.js";
import { ApiError } from "../../src/api/api-error.js";
import { MydockerError } from "../../src/util/errors.js";

const WRONG: unknown[] = [1, 1.5, -1, "x", "64m", true, [], [1], ["a"], {}, { a: 1 }, { a: "b" }, [{ a: 1 }], [[1]]];
const GO_ERROR = /^invalid JSON: json: cannot unmarshal (number( \S+)?|string|bool|array|object) into Go (struct field \S+|value) of type \S+( \{\})?$/;

function refusal(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ApiError, `not an ApiError: ${(e as Error).stack}`);
    assert.equal(e.status, 400);
    return e.message;
  }
}

test("the brief's bodies are refused in dockerd's words", () => {
  const cases: [object, string][] = [
    [{ Env: [1] }, "invalid JSON: json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Env of type string"],
    [{ HostConfig: { Binds: [1] } }, "invalid JSON: json: cannot unmarshal number into Go struct field HostConfig.HostConfig.Binds of type string"],
    [{ HostConfig: { Memory: "64m" } }, "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64"],
    [{ HostConfig: { PortBindings: { "80/tcp": [{ HostPort: 1 }] } } }, "invalid JSON: json: cannot unmarshal number into Go struct field PortBinding.HostConfig.PortBindings.HostPort of type string"],
    [{ Image: ["busybox"] }, "invalid JSON: json: cannot unmarshal array into Go struct field ContainerConfigWrapper.Image of type string"],
    [{ StopTimeout: "x" }, "invalid JSON: json: cannot unmarshal string into Go struct field ContainerConfigWrapper.StopTimeout of type int"],
    [{ Labels: { a: 1 } }, "invalid JSON: json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string"],
    [{ HostConfig: { Memory: 1.5 } }, "invalid JSON: json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64"],
    [{ HostConfig: { BlkioWeight: 70000 } }, "invalid JSON: json: cannot unmarshal number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16"],
    [{ HostConfig: [] }, "invalid JSON: json: cannot unmarshal array into Go struct field ContainerConfigWrapper.HostConfig of type HostConfig"],
  ];
  for (const [body, message] of cases) assert.equal(refusal(() => checkBody({ Image: "busybox", ...body }, "ContainerConfigWrapper", createShape)), message);
  assert.equal(refusal(() => checkBody([1], "ContainerConfigWrapper", createShape)), "invalid JSON: json: cannot unmarshal array into Go value of type ContainerConfigWrapper");
});

test("null is 'not given' and unknown fields are ignored, as Go's decoder takes them", () => {
  const body = checkBody({ Image: "busybox", Env: null, HostConfig: { Memory: null, Binds: null }, Unknown: [1] }, "ContainerConfigWrapper", createShape);
  assert.deepEqual(body, { Image: "busybox", HostConfig: {} });
  assert.deepEqual(checkBody(null, "Config", containerConfigShape), {});
  // Field names match as Go's do: exactly, else but for case; the later of two keys wins.
  assert.deepEqual(checkBody({ image: "busybox", ENV: ["A=1"], hostconfig: { memory: 5 } }, "ContainerConfigWrapper", createShape), { Image: "busybox", Env: ["A=1"], HostConfig: { Memory: 5 } });
  assert.deepEqual(checkBody({ Image: "a", image: "b" }, "ContainerConfigWrapper", createShape), { Image: "b" });
  assert.match(refusal(() => checkBody({ env: [1] }, "ContainerConfigWrapper", createShape))!, /Go struct field ContainerConfigWrapper.Env of type string$/);
  // A "__proto__" label is a label, not the object's prototype.
  const labels = checkBody(JSON.parse('{"Labels": {"__proto__": "x", "a": "b"}}'), "ContainerConfigWrapper", createShape).Labels!;
  assert.deepEqual(Object.entries(labels), [["__proto__", "x"], ["a", "b"]]);
  assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  // Go's int64 holds 2^63-1, as docker's clients may send for "no limit".
  assert.equal(checkBody({ HostConfig: { Memory: 9223372036854775807 } }, "ContainerConfigWrapper", createShape).HostConfig?.Memory, 2 ** 63);
  assert.match(refusal(() => checkBody({ HostConfig: { Memory: 1e19 } }, "ContainerConfigWrapper", createShape))!, /cannot unmarshal number 10000000000000000000 into Go struct field HostConfig.HostConfig.Memory of type int64/);
});

test("every field of create, given every wrong type: refused in Go's words, or taken and mapped without a TypeError", () => {
  let refused = 0;
  const fields: [string, (v: unknown) => object][] = [
    ...Object.keys(containerConfigShape).map((k): [string, (v: unknown) => object] => [k, (v) => ({ [k]: v })]),
    ...Object.keys(hostConfigShape).map((k): [string, (v: unknown) => object] => [`HostConfig.${k}`, (v) => ({ HostConfig: { [k]: v } })]),
    ["NetworkingConfig", (v) => ({ NetworkingConfig: v })],
    ["NetworkingConfig.EndpointsConfig.n", (v) => ({ NetworkingConfig: { EndpointsConfig: { n: v } } })],
    ["HostConfig.RestartPolicy.MaximumRetryCount", (v) => ({ HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: v } } })],
    ["HostConfig.Mounts[0].Source", (v) => ({ HostConfig: { Mounts: [{ Type: "bind", Target: "/t", Source: v }] } })],
    ["HostConfig.Ulimits[0].Soft", (v) => ({ HostConfig: { Ulimits: [{ Name: "nofile", Hard: 10, Soft: v }] } })],
    ["Healthcheck.Test", (v) => ({ Healthcheck: { Test: v } })],
  ];
  for (const [field, bodyWith] of fields) {
    for (const v of WRONG) {
      const body = { Image: "busybox", ...bodyWith(v) };
      const message = refusal(() => {
        const checked = checkBody(body, "ContainerConfigWrapper", createShape);
        try {
          createOptions(undefined, checked);
        } catch (e) {
          // What passes the type check may still be refused by the engine's own rules, but
          // as a typed error with a message, never a TypeError from a value it did not expect.
          assert.ok(e instanceof MydockerError, `${field}=${JSON.stringify(v)}: ${(e as Error).stack}`);
        }
      });
      if (message !== undefined) {
        assert.match(message, GO_ERROR, `${field}=${JSON.stringify(v)}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 500, `only ${refused} refusals`);
});
