// The instructions that change only the image config (no layer): ENV, LABEL, WORKDIR,
// USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD,
// MAINTAINER. Each returns the new container config and the history's created_by.
import path from "node:path";
import { checkSignal } from "../engine/container-factory.js";
import type { ContainerConfig, ImageHealthcheck } from "../spec/image.js";
import { MydockerError } from "../util/errors.js";
import type { Instruction } from "./dockerfile.js";
import { expandWord, expandWords, jsonForm, keyValues, splitWords, type Vars } from "./shell-words.js";

export const DefaultShell = ["/bin/sh", "-c"];

export interface StepScope {
  vars: Vars;
  escape: string;
  /** CMD was set in this stage: a later ENTRYPOINT keeps it. */
  cmdSet: boolean;
}

export interface ConfigChange {
  config: ContainerConfig;
  createdBy: string;
  /** MAINTAINER sets the image's author. */
  author?: string;
}

function bad(ins: Instruction, why: string): MydockerError {
  return new MydockerError("dockerfile_parse", `line ${ins.line}: ${ins.keyword} ${why}`, 1);
}

/** CMD, ENTRYPOINT and RUN: the exec form as is, the shell form through the stage's SHELL. */
export function commandOf(ins: Instruction, shell: string[] | undefined): { argv: string[]; json: boolean } {
  const json = jsonForm(ins.args);
  if (json !== undefined) return { argv: json, json: true };
  return { argv: [...(shell ?? DefaultShell), ins.args], json: false };
}

function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => e.split("=", 1)[0] !== key), `${key}=${value}`];
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ("30s", "1m30s") in nanoseconds. */
function duration(ins: Instruction, text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end !== text.length || text === "") throw bad(ins, `: invalid duration "${text}"`);
  return Math.round(total);
}

function healthcheck(ins: Instruction): ImageHealthcheck {
  const [sub = "", ...rest] = ins.args.trim().split(/\s+/);
  if (sub.toUpperCase() === "NONE") {
    if (rest.length > 0 || ins.flags.size > 0) throw bad(ins, "NONE takes no arguments");
    return { Test: ["NONE"] };
  }
  if (sub.toUpperCase() !== "CMD") throw bad(ins, `: unknown type "${sub}", expected CMD or NONE`);
  const cmdText = ins.args.trim().slice(3).trim();
  const json = jsonForm(cmdText);
  const h: ImageHealthcheck = { Test: json !== undefined ? ["CMD", ...json] : ["CMD-SHELL", cmdText] };
  const flag = (name: string) => ins.flags.get(name);
  if (flag("interval") !== undefined) h.Interval = duration(ins, flag("interval")!);
  if (flag("timeout") !== undefined) h.Timeout = duration(ins, flag("timeout")!);
  if (flag("start-period") !== undefined) h.StartPeriod = duration(ins, flag("start-period")!);
  if (flag("start-interval") !== undefined) h.StartInterval = duration(ins, flag("start-interval")!);
  if (flag("retries") !== undefined) {
    const n = Number(flag("retries"));
    if (!Number.isInteger(n) || n < 0) throw bad(ins, `: --retries must be a whole number, not "${flag("retries")}"`);
    h.Retries = n;
  }
  return h;
}

const shown = (argv: string[]): string => JSON.stringify(argv);

/** The config after a config-only instruction; scope.cmdSet is updated for CMD. */
export function applyConfigStep(ins: Instruction, base: ContainerConfig, scope: StepScope): ConfigChange {
  const c: ContainerConfig = { ...base };
  const { vars, escape } = scope;
  switch (ins.keyword) {
    case "ENV": {
      const pairs = keyValues(ins.args, vars, escape, true);
      for (const [k, v] of pairs) c.Env = setEnv(c.Env ?? [], k, v);
      return { config: c, createdBy: `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}` };
    }
    case "LABEL": {
      const pairs = keyValues(ins.args, vars, escape, false);
      c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs) };
      return { config: c, createdBy: `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(" ")}` };
    }
    case "WORKDIR": {
      const dir = expandWord(ins.args.trim(), vars, escape);
      c.WorkingDir = path.posix.resolve(c.WorkingDir || "/", dir);
      return { config: c, createdBy: `WORKDIR ${c.WorkingDir}` };
    }
    case "USER":
      c.User = expandWord(ins.args.trim(), vars, escape);
      return { config: c, createdBy: `USER ${c.User}` };
    case "EXPOSE": {
      const ports = expandWords(ins.args, vars, escape).map((p) => (p.includes("/") ? p.toLowerCase() : `${p}/tcp`));
      for (const p of ports) if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(p)) throw bad(ins, `: invalid port "${p}"`);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
      return { config: c, createdBy: `EXPOSE map[${ports.map((p) => `${p}:{}`).join(" ")}]` };
    }
    case "VOLUME": {
      const vols = jsonForm(ins.args) ?? expandWords(ins.args, vars, escape);
      if (vols.some((v) => v.trim() === "")) throw bad(ins, "specified an empty volume");
      c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
      return { config: c, createdBy: `VOLUME ${shown(vols)}` };
    }
    case "CMD": {
      c.Cmd = commandOf(ins, c.Shell).argv;
      scope.cmdSet = true;
      return { config: c, createdBy: `CMD ${shown(c.Cmd)}` };
    }
    case "ENTRYPOINT": {
      c.Entrypoint = commandOf(ins, c.Shell).argv;
      // As docker: a new entrypoint drops the base image's CMD, not one this stage set.
      if (!scope.cmdSet) c.Cmd = null;
      return { config: c, createdBy: `ENTRYPOINT ${shown(c.Entrypoint)}` };
    }
    case "STOPSIGNAL":
      c.StopSignal = expandWord(ins.args.trim(), vars, escape);
      try {
        checkSignal("STOPSIGNAL", c.StopSignal);
      } catch (e) {
        throw new MydockerError("dockerfile_parse", `line ${ins.line}: ${(e as Error).message}`, 1);
      }
      return { config: c, createdBy: `STOPSIGNAL ${c.StopSignal}` };
    case "HEALTHCHECK":
      c.Healthcheck = healthcheck(ins);
      return { config: c, createdBy: `HEALTHCHECK ${ins.args.trim()}` };
    case "SHELL": {
      const shell = jsonForm(ins.args);
      if (shell === undefined || shell.length === 0) throw bad(ins, 'requires the arguments in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
      c.Shell = shell;
      return { config: c, createdBy: `SHELL ${shown(shell)}` };
    }
    case "ONBUILD":
      c.OnBuild = [...(c.OnBuild ?? []), ins.args.trim()];
      return { config: c, createdBy: `ONBUILD ${ins.args.trim()}` };
    case "MAINTAINER": {
      const author = splitWords(ins.args, escape).join(" ");
      return { config: c, createdBy: `MAINTAINER ${author}`, author };
    }
    default:
      throw bad(ins, "is not a config instruction");
  }
}
