import assert from "node:assert/strict";
import { test } from "node:test";
import { familiarName, normalizeReference, parseReference } from "../../src/image/reference.js";
import { MydockerError } from "../../src/util/errors.js";

test("names resolve as docker resolves them", () => {
  assert.equal(normalizeReference("busybox"), "docker.io/library/busybox:latest");
  assert.equal(normalizeReference("user/app:1"), "docker.io/user/app:1");
  assert.equal(normalizeReference("localhost:5000/repo:tag"), "localhost:5000/repo:tag");
  assert.equal(normalizeReference("127.0.0.1:5000/a/b/c"), "127.0.0.1:5000/a/b/c:latest");
  assert.equal(normalizeReference("localhost/x"), "localhost/x:latest");
  assert.equal(normalizeReference("index.docker.io/library/alpine:3"), "docker.io/library/alpine:3");
  const digest = "sha256:" + "a".repeat(64);
  assert.equal(normalizeReference(`busybox@${digest}`), `docker.io/library/busybox@${digest}`);
  assert.deepEqual(parseReference(`host:1/r:t@${digest}`), { domain: "host:1", path: "r", tag: "t", digest });
});

test("familiar names drop docker.io and library", () => {
  assert.equal(familiarName("docker.io/library/busybox:latest"), "busybox:latest");
  assert.equal(familiarName("docker.io/user/app:1"), "user/app:1");
  assert.equal(familiarName("localhost:5000/repo:tag"), "localhost:5000/repo:tag");
});

test("invalid references are refused with a clear message", () => {
  for (const bad of ["", "UPPER", "a::b", "repo:", "repo@sha256:123", "-leading", "a//b", "repo:" + "t".repeat(129), "a".repeat(64)]) {
    assert.throws(
      () => parseReference(bad),
      (e: unknown) => e instanceof MydockerError && e.code === "invalid_reference" && e.message.includes("invalid reference format"),
      bad,
    );
  }
});
