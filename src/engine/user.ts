// Resolves docker's `-u USER[:GROUP]` against the container's /etc/passwd and /etc/group,
// the way docker (moby/sys/user) does.
import { MydockerError } from "../util/errors.js";

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  if (!text) return [];
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  if (!text) return [];
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#")) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) });
  }
  return out;
}

const NUMERIC = /^\d+$/;

export function resolveUser(spec: string, readFile: (p: string) => string | undefined): ResolvedUser {
  // No user is uid 0 whether or not the image has a passwd file (a scratch image has none), as docker.
  const [userPart = "", groupPart] = spec === "" ? ["0"] : spec.split(":", 2);
  const passwd = parsePasswd(readFile("/etc/passwd"));
  const groups = parseGroup(readFile("/etc/group"));

  let uid: number;
  let gid: number;
  let home = "/";
  let name: string | undefined;
  const byName = passwd.find((p) => p.name === userPart);
  if (byName) {
    ({ uid, gid, home, name } = byName);
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const byUid = passwd.find((p) => p.uid === uid);
    gid = byUid ? byUid.gid : 0;
    home = byUid ? byUid.home : "/";
    name = byUid?.name;
  } else {
    throw new MydockerError("ENOUSER", `unable to find user ${userPart}: no matching entries in passwd file`);
  }

  if (groupPart !== undefined && groupPart !== "") {
    const g = groups.find((x) => x.name === groupPart);
    if (g) gid = g.gid;
    else if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else throw new MydockerError("ENOGROUP", `unable to find group ${groupPart}: no matching entries in group file`);
  }
  if (uid > 0x7fffffff || gid > 0x7fffffff) {
    throw new MydockerError("EINVAL", `invalid user "${spec}": uid and gid must be below 2147483648`);
  }
  // Like docker (moby/sys/user GetExecUser), the primary group is a supplementary group too.
  const additionalGids = [gid, ...(name === undefined ? [] : groups.filter((g) => g.members.includes(name!) && g.gid !== gid).map((g) => g.gid))];
  return { uid, gid, additionalGids, home };
}

/** docker's --group-add: names of the container's /etc/group, or gids as they are. */
export function resolveGroups(wanted: readonly string[], readFile: (p: string) => string | undefined): number[] {
  if (wanted.length === 0) return [];
  const groups = parseGroup(readFile("/etc/group"));
  return wanted.map((g) => {
    const byName = groups.find((x) => x.name === g);
    if (byName) return byName.gid;
    if (NUMERIC.test(g) && Number(g) <= 0x7fffffff) return Number(g);
    throw new MydockerError("ENOGROUP", `Unable to find group ${g}: no matching entries in group file`);
  });
}
