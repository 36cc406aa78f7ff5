// state and list: the OCI state of one container, or of all under --root, as runc prints them.
import type { Command } from "commander";
import type { RuntimeState } from "../runtime/index.js";
import { isErrno, MydockerError } from "../util/errors.js";
import { notExist } from "./bundle.js";
import type { OciContext } from "./context.js";
import { writeFd } from "./log.js";

/** runc's state document: a stopped container has pid 0. */
interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

function ociState(st: RuntimeState): OciState {
  return {
    ociVersion: st.ociVersion,
    id: st.id,
    pid: st.status === "stopped" ? 0 : (st.pid ?? 0),
    status: st.status,
    bundle: st.bundle,
    rootfs: st.rootfs,
    created: st.created,
    owner: "",
    ...(st.annotations ? { annotations: st.annotations } : {}),
  };
}

/** The container's state; runc's "container does not exist" when it has none. */
export function stateOf(ctx: OciContext, id: string): RuntimeState {
  const rt = ctx.runtime();
  try {
    if (!rt.exists(id)) throw notExist();
    return rt.state(id);
  } catch (e) {
    if ((e instanceof MydockerError && (e.code === "not-found" || e.code === "invalid-id")) || isErrno(e, "ENOENT")) throw notExist();
    throw e;
  }
}

function table(rows: OciState[]): string {
  const head = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"];
  const cells = [head, ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner])];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd((widths[i] ?? 0) + 3))).join("") + "\n").join("");
}

export function registerState(program: Command, ctx: () => OciContext): void {
  program
    .command("state <container-id>")
    .description("print the OCI state of a container")
    .action((id: string) => writeFd(1, `${JSON.stringify(ociState(stateOf(ctx(), id)), null, 2)}\n`));

  program
    .command("list")
    .alias("ls")
    .description("list the containers under --root")
    .option("-f, --format <format>", "table or json", "table")
    .option("-q, --quiet", "only the ids")
    .action((f: { format: string; quiet?: boolean }) => {
      if (f.format !== "table" && f.format !== "json") throw new MydockerError("invalid-flag", `invalid format "${f.format}": table or json`);
      const rows = ctx().runtime().list().map(ociState);
      if (f.quiet) writeFd(1, rows.map((r) => `${r.id}\n`).join(""));
      else if (f.format === "json") writeFd(1, `${JSON.stringify(rows)}\n`);
      else writeFd(1, table(rows));
    });
}
