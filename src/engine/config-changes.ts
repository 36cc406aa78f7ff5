// docker commit's and import's --change: Dockerfile instructions (CMD, ENTRYPOINT, ENV,
// WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL) that change an image's config; one
// parser for the command line and the API's commit and import.
import { MydockerError } from "../util/errors.js";
import { checkSignal } from "./container-factory.js";

/** The Dockerfile instructions as a config change (the instructions docker allows there). */
export function configChanges(instructions: readonly string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const list = (v: string): string[] => (v.trim().startsWith("[") ? (JSON.parse(v) as string[]) : ["/bin/sh", "-c", v]);
  for (const ins of instructions) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(ins);
    if (!m) throw new MydockerError("EINVAL", `invalid change: ${ins}`);
    const [, word, value] = m;
    switch (word!.toUpperCase()) {
      case "CMD":
        config.Cmd = list(value!);
        break;
      case "ENTRYPOINT":
        config.Entrypoint = list(value!);
        break;
      case "ENV": {
        const [k, ...rest] = value!.includes("=") ? value!.split("=") : value!.split(/\s+/);
        config.Env = [...((config.Env as string[]) ?? []), `${k}=${rest.join(value!.includes("=") ? "=" : " ")}`];
        break;
      }
      case "WORKDIR":
        config.WorkingDir = value!.trim();
        break;
      case "USER":
        config.User = value!.trim();
        break;
      case "EXPOSE":
        config.ExposedPorts = Object.fromEntries(value!.trim().split(/\s+/).map((p) => [p.includes("/") ? p : `${p}/tcp`, {}]));
        break;
      case "VOLUME":
        config.Volumes = Object.fromEntries(list(value!).filter((v) => v !== "/bin/sh" && v !== "-c").map((p) => [p, {}]));
        break;
      case "LABEL": {
        const [k, v = ""] = value!.split("=", 2);
        config.Labels = { ...((config.Labels as Record<string, string>) ?? {}), [k!.trim()]: v.trim().replace(/^"|"$/g, "") };
        break;
      }
      case "STOPSIGNAL":
        checkSignal("STOPSIGNAL", value!.trim());
        config.StopSignal = value!.trim();
        break;
      default:
        throw new MydockerError("EINVAL", `${word} is not a valid change command`);
    }
  }
  return config;
}
