// mydocker serve: the Docker Engine API on unix sockets (and loopback or TLS TCP), until
// SIGINT or SIGTERM. Containers keep running under their monitors when it stops.
import { Command } from "commander";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { MydockerError } from "../../util/errors.js";

interface ServeFlags {
  host: string[];
  group?: string;
  tlscert?: string;
  tlskey?: string;
  tlscacert?: string;
}

export function registerServe(program: Command, ctx: Context): void {
  program
    .command("serve")
    .description("Serve the Docker Engine API (docker, docker-compose, testcontainers) on a socket")
    .option("-H, --host <url>", "where to listen: unix:///PATH or tcp://HOST:PORT (default unix:///run/mydocker/docker.sock)", collect, [])
    .option("--group <group>", "the group that may use the unix socket (mode 0660)")
    .option("--tlscert <file>", "TLS certificate for TCP listeners")
    .option("--tlskey <file>", "TLS key for TCP listeners")
    .option("--tlscacert <file>", "CA that client certificates must be signed by (mutual TLS)")
    .action(async (f: ServeFlags) => {
      if (Boolean(f.tlscert) !== Boolean(f.tlskey)) throw new MydockerError("EINVAL", "--tlscert and --tlskey go together: give both");
      if (f.tlscacert && !f.tlscert) throw new MydockerError("EINVAL", "--tlscacert needs --tlscert and --tlskey");
      const { ApiServer } = await import("../../api/server.js");
      const { DEFAULT_HOST } = await import("../../api/listen.js");
      const engine = await ctx.engine({ sweep: true, launcher: true });
      const debug = ctx.flags().debug ? (m: string) => process.stderr.write(`debug: ${m}\n`) : undefined;
      const server = new ApiServer(engine, {
        hosts: f.host.length ? f.host : [DEFAULT_HOST],
        group: f.group,
        tls: f.tlscert && f.tlskey ? { cert: f.tlscert, key: f.tlskey, ca: f.tlscacert } : undefined,
        debug,
      });
      const where = await server.listen();
      process.stderr.write(`mydocker serve: API listening on ${where.join(", ")}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}
