// The build context: a directory, or a tar stream of one (extracted with the layer
// extractor into the build's work directory, so a hostile archive cannot write outside
// it), with its .dockerignore rules; and the Dockerfile's text.
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import dockerignore from "@balena/dockerignore";
import { asBuffers, decompressed, detectCompression, peek } from "../image/compression.js";
import { extractLayer } from "../image/layer-extract.js";
import { readFileInView } from "../image/overlay-view.js";
import { BlockSize, isTarStart } from "../image/tar/header.js";
import { TarReader } from "../image/tar/reader.js";
import { MydockerError } from "../util/errors.js";
import type { SourceTree } from "./source-tree.js";

/** Docker's limit on a Dockerfile is far above any real one; this keeps a mistake (a binary given with -f) from filling memory. */
const MaxDockerfileBytes = 16 << 20;

export interface LoadedContext {
  tree: SourceTree;
  dockerfile: string;
  /** How the Dockerfile is named in errors. */
  dockerfileName: string;
}

/**
 * The context's directory. A stream is a tar of it (maybe compressed), or, as docker's CLI
 * takes `build - < Dockerfile`, a Dockerfile alone: then the context is empty.
 */
async function contextDir(context: string | Readable, work: string): Promise<{ dir: string; dockerfileText?: string }> {
  if (typeof context === "string") {
    if (!fs.statSync(context, { throwIfNoEntry: false })?.isDirectory()) {
      throw new MydockerError("build_context", `unable to prepare context: path "${context}" not found or not a directory`, 1);
    }
    return { dir: path.resolve(context) };
  }
  const dir = path.join(work, "context");
  fs.mkdirSync(dir, { mode: 0o755 });
  const { head, all } = await peek(asBuffers(context), BlockSize);
  if (detectCompression(head) !== "none" || isTarStart(head)) {
    await extractLayer(new TarReader(await decompressed(all)), dir);
    return { dir };
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of all) {
    length += chunk.length;
    if (length > MaxDockerfileBytes) throw new MydockerError("build_context", `the Dockerfile on stdin is over ${MaxDockerfileBytes} bytes (a context on stdin must be a tar archive)`, 1);
    chunks.push(chunk);
  }
  return { dir, dockerfileText: Buffer.concat(chunks).toString("utf8") };
}

function ignoreRules(text: string | undefined): Pick<SourceTree, "ignored" | "exceptions"> {
  if (text === undefined) return {};
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) return {};
  // The package is CommonJS: its default export is the factory itself.
  const rules = (dockerignore as unknown as typeof dockerignore.default)().add(lines);
  return { ignored: (rel) => rules.ignores(rel), exceptions: lines.some((l) => l.startsWith("!")) };
}

function readDockerfile(dir: string, streamed: boolean, opts: { dockerfile?: string; dockerfileText?: string }): { text: string; name: string } {
  if (opts.dockerfileText !== undefined) return { text: opts.dockerfileText, name: "Dockerfile" };
  const name = opts.dockerfile ?? "Dockerfile";
  const abs = path.resolve(dir, name);
  const rel = path.relative(dir, abs);
  // Inside the context it is looked up in the context (its symlinks stay there); a file the
  // user named outside a context directory is theirs to name. A context that came as a
  // stream (an API request, build -) has no outside: its name, absolute or with "..", is
  // taken inside it, as docker's daemon does, never as a host path.
  const inside = streamed || (rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel));
  let bytes: Buffer | undefined;
  try {
    bytes = inside ? readFileInView([dir], streamed ? name : rel, MaxDockerfileBytes) : fs.readFileSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (bytes === undefined) throw new MydockerError("build_context", `failed to read dockerfile: open ${name}: no such file or directory`, 1);
  return { text: bytes.toString("utf8"), name: path.basename(name) };
}

/** Opens the context (a tar is extracted under work) and reads its Dockerfile and .dockerignore. */
export async function loadContext(opts: { context: string | Readable; dockerfile?: string; dockerfileText?: string }, work: string): Promise<LoadedContext> {
  const { dir, dockerfileText } = await contextDir(opts.context, work);
  const { text, name } = readDockerfile(dir, typeof opts.context !== "string", { ...opts, dockerfileText: opts.dockerfileText ?? dockerfileText });
  const rules = ignoreRules(readFileInView([dir], ".dockerignore", MaxDockerfileBytes)?.toString("utf8"));
  return { tree: { dirs: [dir], ...rules }, dockerfile: text, dockerfileName: name };
}
