/**
 * The spec's remote-host keys (`ssh`, `hosts`, `server.host`, `client.hosts`): schema, the checks
 * between them, and their resolution. Kept apart from the rest of the spec so the remote feature
 * stays one block in schema.ts / cross-checks.ts / resolve.ts.
 */
import { z } from "zod";
import { didYouMean } from "../errors.js";
import type { RawIssue } from "./locate.js";
import { asObject, commandSchema, expect, hostSchema, stringSchema, type Loose } from "./schema-parts.js";

const HOST_NAME_RE = /^[A-Za-z0-9._-]+$/;

export const sshSchema = z.strictObject(
  { options: z.array(z.string(expect("a string")), expect('a list of ssh arguments, e.g. ["-F", "lab/ssh_config"]')).optional() },
  expect("a mapping (options)"),
);

export const remoteHostSchema = z.strictObject(
  {
    ssh: stringSchema("an ssh destination (user@host or an ~/.ssh/config alias)"),
    address: hostSchema.optional(),
    tcpsweep: commandSchema.optional(),
  },
  expect("a mapping (ssh, address, tcpsweep)"),
);

export const hostsSchema = z
  .record(z.string(), remoteHostSchema, expect("a mapping of host name: {ssh, address, tcpsweep}"))
  .superRefine((hosts, ctx) => {
    for (const name of Object.keys(asObject(hosts) ?? {})) {
      if (!HOST_NAME_RE.test(name))
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `host name ${JSON.stringify(name)} may only use letters, digits, ".", "_" and "-"`,
        });
    }
  });

/** `server.host` */
export const serverHostSchema = stringSchema("a host name from hosts:");
/** `client.hosts` */
export const clientHostsSchema = z
  .array(stringSchema("a host name from hosts:"), expect("a list of host names from hosts:"))
  .min(1, { error: "expected at least one host name (omit client.hosts to run the client on this machine)" });

import type { RemoteHost, RemoteSettings } from "../../remote/hosts.js";
export type { RemoteHost, RemoteSettings };

/** Every `server.host` / `client.hosts` name must be a key of `hosts`; the server's host needs an address. */
export function checkHostReferences(raw: Loose, issues: RawIssue[]): void {
  const hosts = asObject(raw.hosts);
  const names = Object.keys(hosts ?? {});
  const known = (name: unknown, path: (string | number)[]) => {
    if (typeof name !== "string" || names.includes(name)) return true;
    const hint = didYouMean(name, names);
    issues.push({
      path,
      message: `unknown host ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ""}; ${names.length ? `hosts: ${names.join(", ")}` : "define it under hosts: (name: {ssh: user@machine, address: ...})"}`,
    });
    return false;
  };
  const server = asObject(raw.server);
  const client = asObject(raw.client);
  if (server?.host !== undefined && known(server.host, ["server", "host"]) && typeof server.host === "string") {
    const entry = asObject(hosts?.[server.host]);
    if (entry && entry.address === undefined) {
      issues.push({
        path: ["hosts", server.host],
        message: `needs "address": server.host runs the server there, and clients connect to that address`,
      });
    }
  }
  if (Array.isArray(client?.hosts)) {
    const seen = new Set<unknown>();
    client.hosts.forEach((name: unknown, i: number) => {
      if (seen.has(name)) issues.push({ path: ["client", "hosts", i], message: `host ${JSON.stringify(name)} is listed twice` });
      seen.add(name);
      known(name, ["client", "hosts", i]);
    });
    if (client.command !== undefined) {
      issues.push({
        path: ["client", "hosts"],
        message: 'only works with the built-in client (its connections are split across the hosts and merged); remove "command"',
      });
    }
  }
  // CPU lists are applied on this machine for now (the pinned launcher); a remote role is not pinned.
  if (server?.host !== undefined && server.cpus !== undefined)
    issues.push({ path: ["server", "cpus"], message: "cannot be combined with server.host yet: CPU pinning applies on this machine only" });
  if (client?.hosts !== undefined && client.cpus !== undefined)
    issues.push({
      path: ["client", "cpus"],
      message: "cannot be combined with client.hosts yet: CPU pinning applies on this machine only",
    });
  const profile = asObject(raw.profile);
  if (profile && (server?.host !== undefined || client?.hosts !== undefined)) {
    const strace = asObject(profile.strace);
    if (strace?.attach === "launch")
      issues.push({
        path: ["profile", "strace", "attach"],
        message: "launch is not supported with remote hosts; use attach: window (the default), perf or bpf",
      });
    // A remote role is profiled through its host's agent, which watches the server only.
    for (const [kind, options] of Object.entries(profile)) {
      const target = asObject(options)?.target;
      if (target !== undefined && target !== "server")
        issues.push({ path: ["profile", kind, "target"], message: "with remote hosts only the server can be profiled (target: server)" });
    }
  }
  if (
    server?.host === undefined &&
    client?.hosts !== undefined &&
    raw.address === undefined &&
    raw.host === undefined &&
    raw.server !== undefined
  ) {
    issues.push({
      path: ["client", "hosts"],
      message:
        'remote clients cannot reach a server on this machine at 127.0.0.1: set "host" to an address of this machine they can reach, or run the server remotely (server.host)',
    });
  }
}

type ParsedHosts = z.output<typeof hostsSchema>;

export function resolveRemote(ssh: z.output<typeof sshSchema> | undefined, hosts: ParsedHosts | undefined): RemoteSettings | undefined {
  if (!ssh && !hosts) return undefined;
  const resolved: Record<string, RemoteHost> = {};
  for (const [name, h] of Object.entries(hosts ?? {})) {
    resolved[name] = { name, ssh: h.ssh, ...(h.address !== undefined ? { address: h.address } : {}), tcpsweep: h.tcpsweep ?? ["tcpsweep"] };
  }
  return { sshOptions: ssh?.options ?? [], hosts: resolved };
}
