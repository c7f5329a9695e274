/**
 * The preflight (components/preflight.ts): every input check first, all problems in one report;
 * only then what this machine must have (Vagrant, side-loaded images), and the probe that runs a
 * container (hosts.privileged: auto) last, alone. Each failure is one ConfigError line.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/errors";
import { type EnvironmentProbes, preflight } from "../../components/preflight";
import { asPulumiConfig } from "../support/mocks";
import { tmp } from "../support/tmp";

const SOURCE = "Pulumi.dev.yaml";
const NODES = [{ name: "manager1", role: "manager" }, { name: "worker1" }];
const VAGRANT_MISSING = "Pulumi.dev.yaml: hosts.kind vagrant needs the vagrant command, which is not on PATH: install Vagrant (https://developer.hashicorp.com/vagrant/install; Debian/Ubuntu: apt-get install vagrant)";

/** Probes that record what ran: nothing answers (no vagrant, no image), the engine accepts --privileged. */
function probes(): { probes: EnvironmentProbes; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    probes: {
      privileged: (image) => (ran.push(`privileged ${image}`), true),
      vagrant: (file, args) => (ran.push([file, ...args].join(" ")), { status: null, stdout: "" }),
      imageId: (image) => (ran.push(`image ${image}`), undefined),
    },
  };
}

async function run(values: Record<string, unknown>, p: EnvironmentProbes, root = process.cwd()) {
  return preflight(asPulumiConfig({ "swarmlab:nodes": NODES, ...values }), { source: SOURCE, root, env: {}, previousManagers: async () => [], probes: p });
}

async function problemsOf(values: Record<string, unknown>, p: EnvironmentProbes, root?: string): Promise<string> {
  try {
    await run(values, p, root);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("preflight: input first, then the machine", () => {
  it("runs no probe, not even the privileged one, while the input has a problem (hosts.privileged: auto, a bad stack file)", async () => {
    const file = path.join(tmp("swarmlab-preflight-"), "bad.yaml");
    fs.writeFileSync(file, "services: {api: {image: x, deploy: {replicas: two}}}\n");
    const { probes: p, ran } = probes();
    const message = await problemsOf({ "swarmlab:hosts": { kind: "docker-lab", privileged: "auto" }, "swarmlab:stacks": [{ name: "bad", file }], "swarmlab:images": { sideLoad: ["app:1"] } }, p);
    expect(message).toBe(`${file}: services.api.deploy.replicas: expected a number, got "two"`);
    expect(ran).toEqual([]);
  });

  it("probes the engine once the input is valid, and hands on the answer instead of auto", async () => {
    const { probes: p, ran } = probes();
    const checked = await run({ "swarmlab:hosts": { kind: "docker-lab", privileged: "auto", image: "lab/node:1" } }, p);
    expect(ran).toEqual(["privileged lab/node:1"]);
    expect(checked.cfg.hosts).toMatchObject({ kind: "docker-lab", privileged: true });
  });

  it("reports a missing Vagrant and a missing side-load image together, as problems of the config, and then runs no container", async () => {
    const { probes: p, ran } = probes();
    const message = await problemsOf({ "swarmlab:hosts": { kind: "vagrant" }, "swarmlab:images": { sideLoad: ["app:1"] } }, p);
    expect(message).toBe(
      [VAGRANT_MISSING, 'Pulumi.dev.yaml: swarmlab:images.sideLoad[0]: image "app:1" is not on this machine: build or pull it first (docker image ls)'].join("\n"),
    );
    expect(ran).toEqual(["vagrant --version", "image app:1"]);
  });

  it("reads the ssh hosts' key file before anything runs: a missing one is a problem of the config, reported with the others", async () => {
    const root = tmp("swarmlab-preflight-");
    const { probes: p } = probes();
    const hosts = { kind: "ssh", privateKeyFile: "keys/id", hosts: { manager1: { address: "10.0.0.1" }, worker1: { address: "10.0.0.2" } } };
    const message = await problemsOf({ "swarmlab:hosts": hosts, "swarmlab:images": { sideLoad: ["app:1"] } }, p, root);
    expect(message).toBe(
      [
        `Pulumi.dev.yaml: swarmlab:hosts.privateKeyFile: cannot read ${path.join(root, "keys/id")} (ENOENT): expected a private key file (a path relative to the project, or ~/...)`,
        'Pulumi.dev.yaml: swarmlab:images.sideLoad[0]: image "app:1" is not on this machine: build or pull it first (docker image ls)',
      ].join("\n"),
    );
    fs.mkdirSync(path.join(root, "keys"));
    fs.writeFileSync(path.join(root, "keys/id"), "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n");
    await expect(run({ "swarmlab:hosts": hosts }, p, root)).resolves.toMatchObject({ cfg: { hosts: { kind: "ssh" } } });
  });

  it("returns each side-loaded image's local ID, and the warnings", async () => {
    const checked = await run(
      { "swarmlab:images": { sideLoad: ["app:1"] }, "swarmlb:nodes": "[]", "swarmlab:hosts": { kind: "docker-lab", privileged: true } },
      { imageId: () => "sha256:abc" },
    );
    expect(checked.sideLoadIds).toEqual({ "app:1": "sha256:abc" });
    expect(checked.warnings).toEqual(['Pulumi.dev.yaml: swarmlb:nodes: the namespace "swarmlb" looks like a typo of "swarmlab": this key is ignored (swarmlab reads only swarmlab:* keys)']);
  });

  it("warns when the board (the default visualizer) is enabled but not side-loaded: no registry serves it", async () => {
    const hosts = { kind: "docker-lab", privileged: true };
    const bare = await run({ "swarmlab:visualizer": { enabled: true }, "swarmlab:hosts": hosts }, { imageId: () => "sha256:abc" });
    expect(bare.warnings).toEqual([
      "Pulumi.dev.yaml: swarmlab:visualizer.image: swarmlab/board:0.1.0 is built by swarmlab, not pulled from a registry: build it " +
        "(bash tools/offline/images.sh --only board, or docker build -t swarmlab/board:0.1.0 images/board) and list it in swarmlab:images.sideLoad, " +
        "or the nodes cannot start the board (or choose image: dockersamples/visualizer)",
    ]);
    const loaded = await run(
      { "swarmlab:visualizer": { enabled: true }, "swarmlab:images": { sideLoad: ["swarmlab/board:0.1.0"] }, "swarmlab:hosts": hosts },
      { imageId: () => "sha256:abc" },
    );
    expect(loaded.warnings).toEqual([]);
    const classic = await run({ "swarmlab:visualizer": { enabled: true, image: "dockersamples/visualizer" }, "swarmlab:hosts": hosts }, { imageId: () => "sha256:abc" });
    expect(classic.warnings).toEqual([]);
  });
});
