// ADD of an http(s) URL: the file downloaded whole (docker, too, fetches it on every build
// and keys the cache on its content), named after the URL's last path component. Over the
// registry client's HTTP (not fetch): its connections trust the caller's extra CAs.
import path from "node:path";
import { request, type HttpResponse } from "../image/registry/http.js";
import { MydockerError } from "../util/errors.js";

/** Downloads larger than this are refused: ADD of a URL is for files, not disk images. */
const MaxDownloadBytes = 1 << 30;
const TimeoutMs = 10 * 60 * 1000;

export async function fetchUrl(url: string): Promise<{ name: string; bytes: Buffer }> {
  const failed = (why: string) => new MydockerError("add_url", `failed to fetch ${url}: ${why}`, 1);
  // A body refused unread ends with its request, not left holding the connection.
  const refuse = new AbortController();
  let res: HttpResponse;
  let bytes: Buffer;
  try {
    res = await request(url, { method: "GET", signal: AbortSignal.any([refuse.signal, AbortSignal.timeout(TimeoutMs)]) });
    if (res.status < 200 || res.status > 299) {
      refuse.abort();
      throw failed(`${res.status} ${res.statusText}`);
    }
    const length = Number(res.header("content-length") ?? 0);
    if (length > MaxDownloadBytes) {
      refuse.abort();
      throw new MydockerError("add_url", `${url} is ${length} bytes, more than ADD downloads (1 GiB)`, 1);
    }
    bytes = await res.bytes(MaxDownloadBytes, url);
  } catch (e) {
    throw e instanceof MydockerError ? e : failed((e as Error).message);
  }
  const name = path.posix.basename(new URL(url).pathname) || "index.html";
  return { name, bytes };
}
