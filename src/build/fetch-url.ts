// ADD of an http(s) URL: the file downloaded whole (docker, too, fetches it on every build
// and keys the cache on its content), named after the URL's last path component.
import path from "node:path";
import { MydockerError } from "../util/errors.js";

/** Downloads larger than this are refused: ADD of a URL is for files, not disk images. */
const MaxDownloadBytes = 1 << 30;
const TimeoutMs = 10 * 60 * 1000;

export async function fetchUrl(url: string): Promise<{ name: string; bytes: Buffer }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(TimeoutMs) });
  } catch (e) {
    throw new MydockerError("add_url", `failed to fetch ${url}: ${(e as Error).message}`, 1);
  }
  if (!res.ok) throw new MydockerError("add_url", `failed to fetch ${url}: ${res.status} ${res.statusText}`, 1);
  const length = Number(res.headers.get("content-length") ?? 0);
  if (length > MaxDownloadBytes) throw new MydockerError("add_url", `${url} is ${length} bytes, more than ADD downloads (1 GiB)`, 1);
  const bytes = Buffer.from(await res.arrayBuffer());
  const name = path.posix.basename(new URL(url).pathname) || "index.html";
  return { name, bytes };
}
