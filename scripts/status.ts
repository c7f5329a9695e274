/**
 * `npm run status`: the cluster as it really is, read from the swarm (not from Pulumi's records):
 * nodes, services per stack with the node of each task, and which URLs answer. Works from any
 * machine that has the stack's state; says so clearly when the cluster cannot be reached.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { type NodeRow, sshOptions, stackOutputs } from "./outputs";

const SEP = "\u001f";

/** One remote round trip: sections of `|`-separated lines. */
export const STATUS_SCRIPT = [
  `echo "#nodes"; docker node inspect $(docker node ls -q) --format '{{.Description.Hostname}}|{{.Spec.Role}}|{{.Spec.Availability}}|{{.Status.State}}|{{.Description.Engine.EngineVersion}}|{{if .ManagerStatus}}{{.ManagerStatus.Reachability}}{{if .ManagerStatus.Leader}} leader{{end}}{{end}}|{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}'`,
  `echo "#services"; ids=$(docker service ls -q); [ -z "$ids" ] || docker service inspect $ids --format '{{.Spec.Name}}|{{index .Spec.Labels "com.docker.stack.namespace"}}|{{range .Endpoint.Ports}}{{.PublishedPort}}->{{.TargetPort}}/{{.Protocol}} ({{.PublishMode}}) {{end}}'`,
  `echo "#replicas"; docker service ls --format '{{.Name}}|{{.Replicas}}'`,
  `echo "#tasks"; [ -z "$ids" ] || docker service ps $ids --filter desired-state=running --format '{{.Name}}|{{.Node}}|{{.CurrentState}}'`,
].join("\n");

export function sections(text: string): Record<string, string[][]> {
  const out: Record<string, string[][]> = {};
  let current = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) current = line.slice(1).trim();
    else if (line.trim() && current) (out[current] ??= []).push(line.split("|").map((c) => c.trim()));
  }
  return out;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** The HTTP status a URL answers with; HTTPS is verified against `ca` (the registry's own CA) when given. */
function answers(url: string, ca?: string): Promise<string> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((done) => {
    const req = client.get(url, { timeout: 3000, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      done(`${res.statusCode}`);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => done(`no answer (${e.code === "TIMEOUT" ? "timeout" : e.code === "ECONNREFUSED" ? "refused" : (e.code ?? e.message)})`));
  });
}

async function main(): Promise<number> {
  const out = stackOutputs();
  const nodes = (out.nodes ?? []) as NodeRow[];
  if (!nodes.length) {
    console.error("swarmlab: the stack has no cluster yet: run npm run up");
    return 1;
  }
  const leader = nodes.find((n) => n.address === out.leaderAddress) ?? nodes[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-status-"));
  const key = path.join(dir, "id");
  fs.writeFileSync(key, String(out.sshPrivateKey), { mode: 0o600 });
  const res = spawnSync("ssh", [...sshOptions(key, leader.sshPort), "-o", "ConnectTimeout=5", `root@${leader.address}`, STATUS_SCRIPT], { encoding: "utf8" });
  fs.rmSync(dir, { recursive: true, force: true });
  if (res.status === 255) {
    console.error(`swarmlab: the cluster is unreachable: no SSH answer from the leader ${leader.name} (root@${leader.address}:${leader.sshPort}). Is it running? (docker ps --filter label=swarmlab.cluster=${String(out.cluster)}; npm run up recreates what is missing)`);
    return 2;
  }
  if (res.status !== 0) {
    console.error(`swarmlab: the leader ${leader.name} answered but docker failed:\n${res.stderr.trim()}`);
    return 1;
  }
  const s = sections(res.stdout);
  console.log(`cluster ${String(out.cluster)}: ${nodes.length} nodes, leader ${leader.name} (${leader.address})\n`);
  console.log(table(["NODE", "ROLE", "AVAILABILITY", "STATE", "ENGINE", "MANAGER", "LABELS"], s.nodes ?? []));
  const replicas = new Map((s.replicas ?? []).map(([name, r]) => [name, r]));
  const tasks = s.tasks ?? [];
  const rows = (s.services ?? [])
    .map(([name, stack, ports]) => {
      const on = tasks.filter(([t]) => t.startsWith(`${name}.`)).map(([, node]) => node);
      return [stack || "-", name, replicas.get(name) ?? "?", ports || "-", [...new Set(on)].sort().join(",") || "-"];
    })
    .sort((a, b) => a.join(SEP).localeCompare(b.join(SEP)));
  console.log(`\n${table(["STACK", "SERVICE", "REPLICAS", "PORTS", "NODES"], rows)}`);
  const urls = Object.entries((out.urls ?? {}) as Record<string, string>);
  if (urls.length) {
    const ca = typeof out.registryCa === "string" && out.registryCa ? out.registryCa : undefined;
    const checked = await Promise.all(urls.map(async ([name, url]) => [name, url, await answers(url, ca)]));
    console.log(`\n${table(["URL", "ADDRESS", "HTTP"], checked)}`);
  }
  return 0;
}

if (require.main === module) main().then((code) => (process.exitCode = code));
