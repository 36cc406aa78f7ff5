import { test } from "node:test";
import assert from "node:assert/strict";
import { generateId, generateName, resolveContainer, shortId, validateName } from "../../src/engine/names.js";
import { MydockerError } from "../../src/util/errors.js";

test("ids are 64 lowercase hex digits and differ", () => {
  const a = generateId();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, generateId());
  assert.equal(shortId(a), a.slice(0, 12));
});

test("generated names are adjective_surname and valid container names", () => {
  for (let i = 0; i < 200; i++) {
    const name = generateName();
    assert.match(name, /^[a-z]+_[a-z]+$/);
    assert.notEqual(name, "boring_wozniak");
    assert.equal(validateName(name), name);
  }
});

test("a taken name makes the generator pick another, with a digit after retries", () => {
  const taken = new Set<string>();
  for (let i = 0; i < 50; i++) taken.add(generateName(taken));
  assert.equal(taken.size, 50);
});

test("name validation follows docker's rule and message", () => {
  assert.equal(validateName("/web.1_a-b"), "web.1_a-b");
  for (const bad of ["a", "-web", "_x", "we b", "wé", "a/b", ""]) {
    assert.throws(() => validateName(bad), (e: unknown) => {
      assert.ok(e instanceof MydockerError);
      assert.equal(e.message, `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      return true;
    });
  }
});

test("resolveContainer: full id, name, /name, unique prefix; docker's errors", () => {
  const refs = [
    { id: "abc123" + "0".repeat(58), name: "web" },
    { id: "abd456" + "0".repeat(58), name: "db" },
    { id: "ff" + "1".repeat(62), name: "abc" },
  ];
  assert.equal(resolveContainer(refs, refs[0].id), refs[0].id);
  assert.equal(resolveContainer(refs, "db"), refs[1].id);
  assert.equal(resolveContainer(refs, "/db"), refs[1].id);
  assert.equal(resolveContainer(refs, "abd"), refs[1].id);
  // A name wins over an id prefix, as in docker.
  assert.equal(resolveContainer(refs, "abc"), refs[2].id);
  assert.throws(() => resolveContainer(refs, "ab"), { message: "multiple IDs found with provided prefix: ab" });
  assert.throws(() => resolveContainer(refs, "nope"), { message: "No such container: nope" });
  assert.throws(() => resolveContainer(refs, ""), { message: "No such container: " });
});
