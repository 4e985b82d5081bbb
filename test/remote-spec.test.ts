/** The remote-host spec keys: ssh.options, hosts.<name>.{ssh, address, tcpsweep}, server.host, client.hosts. */
import { describe, expect, it } from "vitest";
import { cellTemplateValues, parseSpecText } from "../src/sweep/spec.js";
import { specIssueLines } from "./helpers/spec-issues.js";

const OPTS = { cliEntry: "/opt/tcpsweep/dist/cli/main.js", cwd: "/base" };
const HOSTS = `ssh:
  options: ["-F", "lab/ssh_config"]
hosts:
  srv: { ssh: "root@10.77.0.2", address: 10.77.0.2 }
  load1: { ssh: load1 }
  load2: { ssh: load2, tcpsweep: "node /opt/tcpsweep/dist/cli/main.js" }
matrix: {connections: [4000]}
`;

const errors = (text: string): string[] => specIssueLines(text, "x.yaml", OPTS);

describe("remote-host spec keys", () => {
  it("resolves hosts, the server's bind host and the clients' address", () => {
    const spec = parseSpecText(`${HOSTS}server: {builtin: true, host: srv}\nclient: {hosts: [load1, load2]}\n`, "x.yaml", {}, OPTS);
    expect(spec.remote?.sshOptions).toEqual(["-F", "lab/ssh_config"]);
    expect(spec.remote?.hosts.load1?.tcpsweep).toEqual(["tcpsweep"]);
    expect(spec.remote?.hosts.load2?.tcpsweep).toEqual(["node", "/opt/tcpsweep/dist/cli/main.js"]);
    expect(spec.server?.host).toBe("srv");
    expect(spec.client.hosts).toEqual(["load1", "load2"]);
    const values = cellTemplateValues(spec, { values: { connections: 4000 } }, 5000);
    expect(values.host).toBe("0.0.0.0"); // a remote server binds every address by default
    expect(values.address).toBe("10.77.0.2:5000"); // clients reach it at its host's address
  });

  it("an explicit host is kept as the bind address", () => {
    const spec = parseSpecText(`${HOSTS}host: 10.77.0.2\nserver: {builtin: true, host: srv}\n`, "x.yaml", {}, OPTS);
    expect(cellTemplateValues(spec, { values: {} }, 1).host).toBe("10.77.0.2");
  });

  it("unknown host names are located errors with a suggestion, all at once", () => {
    const lines = errors(`${HOSTS}server: {builtin: true, host: sr}\nclient: {hosts: [load1, laod2]}\n`);
    expect(lines).toContain('x.yaml:8 server.host: unknown host "sr" (did you mean "srv"?); hosts: srv, load1, load2');
    expect(lines).toContain('x.yaml:9 client.hosts[1]: unknown host "laod2" (did you mean "load2"?); hosts: srv, load1, load2');
  });

  it("the server's host needs an address; remote clients need the built-in client", () => {
    const lines = errors(
      `${HOSTS}server: {builtin: true, host: load1}\nclient: {hosts: [load2], command: "./c {address}", parser: json}\n`,
    );
    expect(lines.some((l) => /^x\.yaml:5 hosts\.load1: needs "address"/.test(l))).toBe(true);
    expect(lines.some((l) => /client\.hosts: only works with the built-in client/.test(l))).toBe(true);
  });

  it("remote clients and a server on this machine need a reachable host", () => {
    const lines = errors(`${HOSTS}server: {builtin: true}\nclient: {hosts: [load1]}\n`);
    expect(lines.some((l) => /client\.hosts: remote clients cannot reach a server on this machine at 127\.0\.0\.1/.test(l))).toBe(true);
  });

  it("hosts entries are checked like every other section", () => {
    const lines = errors(
      `hosts:\n  a: {address: 1.2.3.4, sssh: x}\n  b: {address: 1.2.3.5}\nmatrix: {connections: [1]}\nserver: {builtin: true, host: a}\n`,
    );
    expect(lines).toContain('x.yaml:2 hosts.a.sssh: unknown key; did you mean "ssh"?');
    expect(lines.some((l) => /^x\.yaml:3 hosts\.b\.ssh: required/.test(l))).toBe(true);
  });
});
