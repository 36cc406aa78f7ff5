// `manifest inspect`: a reference's manifest (or manifest list) as its registry serves it.
import { parseReference, withDefaultTag } from "../reference.js";
import { RegistryClient, type RegistryOptions } from "./client.js";
import { fetchManifest } from "./pull.js";

/** The manifest, indented as docker prints it. */
export async function inspectManifest(text: string, options: RegistryOptions = {}): Promise<string> {
  const ref = withDefaultTag(parseReference(text));
  const client = new RegistryClient(ref.domain, options);
  const { bytes } = await fetchManifest(client, ref, ref.digest ?? ref.tag!, `repository:${ref.path}:pull`);
  return JSON.stringify(JSON.parse(bytes.toString()), null, 3);
}
