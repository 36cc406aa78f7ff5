// Image commands: images, import, load, save, rmi, tag, history, image inspect/prune,
// commit, export, system df.
import { configChanges } from "../../engine/config-changes.js";
import { confirmed } from "../confirm.js";
import { Command } from "commander";
import fs from "node:fs";
import type { Context } from "../context.js";
import { collect } from "../flags.js";
import { abortOnSignals } from "../interrupt.js";
import { errorText, ExitError } from "../output.js";
import { formatList, humanDuration, humanSize, imageRemovalLines, type ListFormat } from "../format.js";
import { progressPrinter } from "../progress.js";
import { writeUserFile } from "../output-file.js";
import type { Engine } from "../../engine/engine.js";
import { MydockerError } from "../../util/errors.js";

const IMAGES: ListFormat = {
  table: "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
  headers: { Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", Digest: "DIGEST", CreatedSince: "CREATED", CreatedAt: "CREATED AT", Size: "SIZE" },
};

const HISTORY: ListFormat = {
  table: "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
  headers: { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" },
};

function input(file: string | undefined): NodeJS.ReadableStream {
  if (file === undefined || file === "-") return process.stdin;
  if (!fs.existsSync(file)) throw new MydockerError("ENOENT", `open ${file}: no such file or directory`);
  return fs.createReadStream(file);
}

function inUse(engine: Engine) {
  return (imageId: string) => engine.containers.firstUserOf(imageId);
}


export function registerImages(program: Command, ctx: Context): void {
  const engine = () => ctx.engine();

  const listImages = async (repository: string | undefined, f: { all?: boolean; quiet?: boolean; format?: string; trunc: boolean; digests?: boolean; filter: string[] }) => {
    const e = await engine();
    const { imageSelection } = await import("../../engine/image-filters.js");
    const select = imageSelection(f.filter, (ref) => e.images.resolve(ref), repository);
    const now = Date.now();
    const familiar = (n: string) => n.replace(/^docker\.io\/(library\/)?/, "");
    const rows = e.images.list().filter((img) => select.image(img)).flatMap((img) => {
      const names = img.names.length ? select.names(img.names).map(familiar) : ["<none>:<none>"];
      const digests = img.digests.map(familiar);
      return names.map((n) => {
        const i = n.lastIndexOf(":");
        const repo = i > n.lastIndexOf("/") ? n.slice(0, i) : n;
        return {
          Repository: repo,
          Tag: i > n.lastIndexOf("/") ? n.slice(i + 1) : "<none>",
          Digest: digests.find((d) => d.startsWith(`${repo}@`))?.slice(repo.length + 1) ?? "<none>",
          ID: f.trunc === false ? img.id : img.id.replace(/^sha256:/, "").slice(0, 12),
          CreatedSince: `${humanDuration(now - Date.parse(img.created))} ago`,
          CreatedAt: img.created,
          Size: humanSize(img.size),
        };
      });
    });
    const layout = f.digests ? { ...IMAGES, table: IMAGES.table.replace("{{.Tag}}\t", "{{.Tag}}\t{{.Digest}}\t") } : IMAGES;
    if (f.quiet) process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => id + "\n").join(""));
    else process.stdout.write(formatList(rows, f.format, layout));
  };
  const imagesFlags = (c: Command) =>
    c
      .option("-a, --all", "show all images")
      .option("-q, --quiet", "only show image IDs")
      .option("--digests", "show digests")
      .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
      .option("--no-trunc", "don't truncate output")
      .option("--format <format>", "format output: json or a Go template")
      .argument("[repository]", "REPOSITORY[:TAG]")
      .action(listImages);
  imagesFlags(program.command("images").description("List images"));

  program
    .command("import")
    .description("Import the contents from a tarball to create a filesystem image")
    .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", collect, [])
    .option("-m, --message <text>", "set commit message for imported image")
    .argument("<file>", "a tar file, or - for stdin")
    .argument("[reference]")
    .action(async (file: string, ref: string | undefined, f: { change: string[]; message?: string }) => {
      const e = await engine();
      const img = await e.images.importRootfsTar(input(file) as never, ref, {
        changes: { config: configChanges(f.change), comment: f.message ?? `Imported from ${file}` },
        progress: progressPrinter(!process.stderr.isTTY),
      });
      process.stdout.write(img.id + "\n");
    });

  program
    .command("load")
    .description("Load an image from a tar archive or STDIN")
    .option("-i, --input <file>", "read from tar archive file, instead of STDIN")
    .option("-q, --quiet", "suppress the load output")
    .option("--platform <os/arch>", "the platform to load from a multi-platform archive (default: this machine's)")
    .action(async (f: { input?: string; quiet?: boolean; platform?: string }) => {
      const e = await engine();
      const loaded = await e.images.load(input(f.input) as never, progressPrinter(Boolean(f.quiet)), { platform: f.platform });
      const { loadedLines } = await import("../../image/index.js");
      for (const img of loaded) process.stdout.write(loadedLines(img).map((l) => l + "\n").join(""));
    });

  program
    .command("save")
    .description("Save one or more images to a tar archive (streamed to STDOUT by default)")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .option("--format <format>", "docker-archive or oci-archive", "docker-archive")
    .option("--platform <os/arch>", "save only if the images are made for this platform")
    .argument("<image...>")
    .action(async (refs: string[], f: { output?: string; format: string; platform?: string }) => {
      const e = await engine();
      if (f.format !== "docker-archive" && f.format !== "oci-archive") {
        throw new MydockerError("EINVAL", `unknown format ${f.format}: use docker-archive or oci-archive`);
      }
      if (!f.output && process.stdout.isTTY) {
        throw new MydockerError("ETTY", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
      }
      if (f.output) {
        await writeUserFile(f.output, (out) => e.images.save(refs, out, f.format as "docker-archive" | "oci-archive", { platform: f.platform }));
      } else {
        await e.images.save(refs, process.stdout, f.format, { platform: f.platform });
      }
    });

  const rmi = async (refs: string[], f: { force?: boolean }) => {
    const e = await engine();
    // Which containers still run decides what even -f keeps.
    await e.sweep();
    let failed = false;
    for (const ref of refs) {
      try {
        const r = e.images.remove(ref, { force: f.force, inUse: inUse(e), runningUser: (id) => e.containers.runningUserOf(id) });
        for (const u of r.untagged) process.stdout.write(`Untagged: ${u.replace(/^docker\.io\/(library\/)?/, "")}\n`);
        for (const d of r.deleted) process.stdout.write(`Deleted: ${d}\n`);
      } catch (err) {
        failed = true;
        process.stderr.write(`mydocker: ${errorText(err)}\n`);
      }
    }
    if (failed) throw new ExitError(1);
  };
  program.command("rmi").description("Remove one or more images").option("-f, --force", "force removal of the image").argument("<image...>").action(rmi);

  program
    .command("tag")
    .description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    .argument("<source>")
    .argument("<target>")
    .action(async (src: string, dst: string) => (await engine()).images.tag(src, dst));

  const history = async (ref: string, f: { trunc: boolean; quiet?: boolean; format?: string }) => {
    const e = await engine();
    const now = Date.now();
    const rows = e.images.history(ref).map((h) => ({
      ID: f.trunc === false || h.id === "<missing>" ? h.id : h.id.replace(/^sha256:/, "").slice(0, 12),
      CreatedSince: h.created ? `${humanDuration(now - Date.parse(h.created))} ago` : "",
      CreatedBy: f.trunc !== false && h.createdBy.length > 45 ? h.createdBy.slice(0, 44) + "…" : h.createdBy,
      Size: humanSize(h.size),
      Comment: h.comment,
    }));
    if (f.quiet) process.stdout.write(rows.map((r) => r.ID + "\n").join(""));
    else process.stdout.write(formatList(rows, f.format, HISTORY));
  };
  const historyFlags = (c: Command) =>
    c.option("--no-trunc", "don't truncate output").option("-q, --quiet", "only show image IDs").option("--format <format>").argument("<image>").action(history);
  historyFlags(program.command("history").description("Show the history of an image"));

  program
    .command("commit")
    .description("Create a new image from a container's changes")
    .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", collect, [])
    .option("-m, --message <text>", "commit message")
    .option("-a, --author <name>", "author")
    .option("-p, --pause", "pause container during commit (--pause=false not to)", true)
    .argument("<container>")
    .argument("[reference]")
    .action(async (name: string, ref: string | undefined, f: { change: string[]; message?: string; author?: string; pause: boolean }) => {
      const e = await engine();
      const interrupt = abortOnSignals();
      try {
        const img = await e.commit(name, ref, { config: configChanges(f.change), comment: f.message, author: f.author }, { pause: f.pause, signal: interrupt.signal });
        process.stdout.write(img.id + "\n");
      } finally {
        interrupt.stop();
      }
    });

  program
    .command("export")
    .description("Export a container's filesystem as a tar archive")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .argument("<container>")
    .action(async (name: string, f: { output?: string }) => {
      const e = await engine();
      if (!f.output && process.stdout.isTTY) throw new MydockerError("ETTY", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
      const interrupt = abortOnSignals();
      try {
        const opts = { signal: interrupt.signal };
        if (f.output) await writeUserFile(f.output, (out) => e.export(name, out, opts));
        else await e.export(name, process.stdout, opts);
      } finally {
        interrupt.stop();
      }
    });

  const image = program.command("image").description("Manage images");
  imagesFlags(image.command("ls").aliases(["list"]).description("List images"));
  image.command("rm").description("Remove one or more images").option("-f, --force").argument("<image...>").action(rmi);
  historyFlags(image.command("history").description("Show the history of an image"));
  image
    .command("inspect")
    .description("Display detailed information on one or more images")
    .option("-f, --format <format>")
    .argument("<image...>")
    .action(async (refs: string[], f: { format?: string }) => {
      const { inspectCommand } = await import("./inspect.js");
      await inspectCommand(await engine(), refs, { format: f.format, type: "image" });
    });
  image
    .command("prune")
    .description("Remove unused images")
    .option("-a, --all", "remove all images not used by a container, not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "dangling=BOOL, until=TIME, label=K[=V], label!=K[=V]", collect, [])
    .action(async (f: { all?: boolean; force?: boolean; filter: string[] }) => {
      const { imagePruneFilter } = await import("../../engine/prune-filters.js");
      const { all, only } = imagePruneFilter(f.filter, f.all);
      const which = all ? "all images without at least one container associated to them" : "all dangling images";
      if (!(await confirmed(f.force, `WARNING! This will remove ${which}.`))) return;
      const e = await engine();
      const r = e.images.prune({ all, inUse: inUse(e), only });
      if (r.removed.length) process.stdout.write(`Deleted Images:\n${imageRemovalLines(r.removed).join("\n")}\n\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`);
    });

  program
    .command("system")
    .description("Manage mydocker")
    .command("df")
    .description("Show disk usage")
    .option("-v, --verbose", "show detailed information on space usage")
    .option("--format <format>", "format output: table, json or a Go template")
    .action(async (f: { verbose?: boolean; format?: string }) => {
      const { systemDfCommand } = await import("./system-df.js");
      await systemDfCommand(await engine(), f);
    });
}
