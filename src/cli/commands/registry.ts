// Registry commands: pull, push, login, logout, manifest inspect.
import type { Command } from "commander";
import type { Context } from "../context.js";
import { progressPrinter } from "../progress.js";
import { abortOnSignals } from "../interrupt.js";
import { login, logout, loginDomain, normalizeReference, type RegistryOptions } from "../../image/index.js";
import { MydockerError } from "../../util/errors.js";

interface ConnectionFlags {
  tlsVerify?: boolean;
  certDir?: string;
  authfile?: string;
  creds?: string;
}

function addConnectionFlags(cmd: Command, creds = true): Command {
  cmd
    .option("--tls-verify", "require HTTPS and verify certificates (--tls-verify=false: HTTPS without verification, then plain HTTP)")
    .option("--cert-dir <dir>", "use the certificates in dir (*.crt, *.cert, *.key) for the registry")
    .option("--authfile <file>", "the file logins are kept in (default: docker's config.json, then podman's auth.json)");
  if (creds) cmd.option("--creds <user:password>", "credentials for the registry");
  return cmd;
}

function registryOptions(f: ConnectionFlags): RegistryOptions {
  const opts: RegistryOptions = { certDir: f.certDir, auth: { authFile: f.authfile }, tlsVerify: f.tlsVerify };
  if (f.creds !== undefined) {
    const colon = f.creds.indexOf(":");
    opts.credentials = colon < 0 ? { username: f.creds, password: "" } : { username: f.creds.slice(0, colon), password: f.creds.slice(colon + 1) };
  }
  return opts;
}

async function readPasswordStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString().replace(/\r?\n$/, "");
}

export function registerRegistry(program: Command, ctx: Context): void {
  addConnectionFlags(program.command("pull").description("Download an image from a registry"))
    .option("-q, --quiet", "suppress verbose output")
    .option("--platform <os/arch>", "the platform to pull from a multi-platform image (default: this machine's)")
    .argument("<name>")
    .action(async (ref: string, f: ConnectionFlags & { quiet?: boolean; platform?: string }) => {
      const e = await ctx.engine();
      // ^C ends the requests: what was staged is removed before the exit (130).
      const interrupt = abortOnSignals();
      try {
        await e.images.pull(ref, { ...registryOptions(f), platform: f.platform, signal: interrupt.signal }, progressPrinter(Boolean(f.quiet)));
      } finally {
        interrupt.stop();
      }
      // As docker: the reference pulled, in full, whatever other names the image has.
      process.stdout.write(`${normalizeReference(ref)}\n`);
    });

  addConnectionFlags(program.command("push").description("Upload an image to a registry"))
    .option("-q, --quiet", "suppress verbose output")
    .option("--compression-format <format>", "compression of layers not yet compressed: gzip or zstd", "gzip")
    .argument("<name>")
    .action(async (ref: string, f: ConnectionFlags & { quiet?: boolean; compressionFormat: string }) => {
      if (f.compressionFormat !== "gzip" && f.compressionFormat !== "zstd") {
        throw new MydockerError("EINVAL", `invalid --compression-format "${f.compressionFormat}": use gzip or zstd`);
      }
      const e = await ctx.engine();
      const interrupt = abortOnSignals();
      let digest: string;
      try {
        digest = await e.images.push(ref, { ...registryOptions(f), compression: f.compressionFormat, signal: interrupt.signal }, progressPrinter(Boolean(f.quiet)));
      } finally {
        interrupt.stop();
      }
      if (f.quiet) process.stdout.write(`${digest}\n`);
    });

  addConnectionFlags(program.command("login").description("Log in to a registry"), false)
    .option("-u, --username <name>", "username")
    .option("-p, --password <password>", "password (prefer --password-stdin)")
    .option("--password-stdin", "take the password from stdin")
    .argument("[server]", "the registry (default: Docker Hub)")
    .action(async (server: string | undefined, f: ConnectionFlags & { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (f.passwordStdin && f.password !== undefined) throw new MydockerError("EINVAL", "--password and --password-stdin are mutually exclusive");
      if (f.passwordStdin && f.username === undefined) throw new MydockerError("EINVAL", "must provide --username with --password-stdin");
      if (f.username === undefined) throw new MydockerError("EINVAL", "login needs a username: use -u NAME with --password-stdin");
      if (f.password !== undefined) process.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
      const password = f.passwordStdin ? await readPasswordStdin() : (f.password ?? "");
      await login(server, { username: f.username, password }, registryOptions(f));
      process.stdout.write("Login Succeeded\n");
    });

  program
    .command("logout")
    .description("Log out from a registry")
    .option("--authfile <file>", "the file logins are kept in")
    .argument("[server]", "the registry (default: Docker Hub)")
    .action((server: string | undefined, f: { authfile?: string }) => {
      const domain = loginDomain(server);
      if (logout(server, { auth: { authFile: f.authfile } })) process.stdout.write(`Removing login credentials for ${domain}\n`);
      else process.stdout.write(`Not logged in to ${domain}\n`);
    });

  const manifest = program.command("manifest").description("Manage image manifests");
  addConnectionFlags(manifest.command("inspect").description("Display an image's manifest or manifest list from its registry"))
    .argument("<name>")
    .action(async (ref: string, f: ConnectionFlags) => {
      const { inspectManifest } = await import("../../image/registry/manifest-inspect.js");
      process.stdout.write((await inspectManifest(ref, registryOptions(f))) + "\n");
    });
}
