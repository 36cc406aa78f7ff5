import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MaxConfigDepth, checkConfigLimits, jsonDepth } from "../../src/image/config.js";
import { keptXattr } from "../../src/image/layer-extract.js";
import { finishHeader, type RawHeader } from "../../src/image/tar/header.js";

const raw: RawHeader = { typeflag: "0", name: "f", linkname: "", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, uname: "", gname: "", devmajor: 0, devminor: 0 };

describe("limits on what an archive may say", () => {
  it("pax sizes and ids are non-negative safe integers", () => {
    for (const [key, value] of [["size", "-512"], ["size", "1.5"], ["size", "1e300"], ["uid", "-1"], ["gid", "9007199254740993"]]) {
      assert.throws(() => finishHeader(raw, new Map([[key!, Buffer.from(value!)]])), new RegExp(`bad pax ${key}`));
    }
    assert.throws(() => finishHeader(raw, new Map([["uid", Buffer.from("4294967295")]])), /bad uid/);
    assert.throws(() => finishHeader(raw, new Map([["path", Buffer.from("a\0b")]])), /NUL byte/);
    assert.throws(() => finishHeader(raw, new Map([["linkpath", Buffer.from("/etc\0")]])), /NUL byte/);
    assert.equal(finishHeader(raw, new Map([["size", Buffer.from("1024")]])).size, 1024);
    assert.equal(finishHeader(raw, new Map([["mtime", Buffer.from("-10.5")]])).mtime, -10.5);
  });

  it("xattr names with control bytes, empty or without a namespace are refused", () => {
    for (const key of ["SCHILY.xattr.user.a\nsecurity.capability", "SCHILY.xattr.user.\0a", "SCHILY.xattr.", "SCHILY.xattr.noname", "LIBARCHIVE.xattr.user.a%0Ab", "LIBARCHIVE.xattr.%E0%A4%A"]) {
      assert.throws(() => finishHeader(raw, new Map([[key, Buffer.from("")]])), /xattr name|pax record name/, key);
    }
    const h = finishHeader(raw, new Map([["LIBARCHIVE.xattr.user.a%20b", Buffer.from(Buffer.from("v").toString("base64"))]]));
    assert.deepEqual([...h.xattrs], [["user.a b", Buffer.from("v")]]);
  });

  it("keeps user.* (files and directories), capabilities and ACLs; never trusted.* or security.selinux", () => {
    assert.ok(keptXattr("user.x", "file") && keptXattr("user.x", "dir") && !keptXattr("user.x", "symlink"));
    assert.ok(keptXattr("security.capability", "file") && !keptXattr("security.capability", "dir"));
    assert.ok(keptXattr("system.posix_acl_access", "dir") && keptXattr("system.posix_acl_default", "dir") && !keptXattr("system.posix_acl_default", "file"));
    for (const name of ["trusted.overlay.redirect", "trusted.overlay.opaque", "trusted.x", "security.selinux", "security.ima"]) {
      assert.ok(!keptXattr(name, "file"), name);
    }
  });

  it("config depth counts brackets outside strings only", () => {
    assert.equal(jsonDepth(Buffer.from('{"a":[1,{"b":"[[[{{{\\"]]"}]}')), 3);
    assert.doesNotThrow(() => checkConfigLimits(`${"[".repeat(MaxConfigDepth)}${"]".repeat(MaxConfigDepth)}`, "c"));
    assert.throws(() => checkConfigLimits(`${"[".repeat(MaxConfigDepth + 1)}${"]".repeat(MaxConfigDepth + 1)}`, "c"), /nests more than 64/);
    assert.throws(() => checkConfigLimits(Buffer.alloc((4 << 20) + 1, 0x20), "c"), /at most 4194304 \(4 MiB\)/);
  });
});
