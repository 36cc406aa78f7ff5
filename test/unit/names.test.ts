import { test, type TestContext } from "node:test";
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

/** Math.random giving these values in turn, then 0. */
function randomSequence(t: TestContext, ...values: number[]): void {
  let i = 0;
  t.mock.method(Math, "random", () => values[i++] ?? 0);
}

/** A value of Math.random that picks a list entry whose generated name starts (or ends) so. */
function randomFor(t: TestContext, part: RegExp): number {
  for (let k = 0; k < 10_000; k++) {
    const r = k / 10_000;
    const mock = t.mock.method(Math, "random", () => r);
    const name = generateName();
    mock.mock.restore();
    if (part.test(name)) return r;
  }
  throw new Error(`no name matches ${part}`);
}

test("a taken name makes the generator retry with a digit appended, as docker does", (t) => {
  // The first pair (the first of both lists) is taken; the retry draws it again, and a 9.
  randomSequence(t, 0, 0, 0, 0, 0.95);
  assert.equal(generateName(new Set(["admiring_agnesi"])), "admiring_agnesi9");
});

test("boring_wozniak is drawn again, and that is not a retry: no digit", (t) => {
  const boring = randomFor(t, /^boring_/);
  const wozniak = randomFor(t, /_wozniak$/);
  randomSequence(t, boring, wozniak, 0, 0, 0.95);
  assert.equal(generateName(), "admiring_agnesi");
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
