/**
 * components/addons/network.ts: the overlay network scripts, run for real by bash against a fake
 * docker (test/support/fakeDocker.ts) first on PATH.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { overlayNetworkSchema } from "../../components/config/cluster";
import { networkCreateScript, networkDeleteScript, networkUnusedScript } from "../../components/addons/network";
import { overlayNetworkDocker } from "../support/fakeDocker";
import { fakeBin, runScript } from "../support/fakes";
import { tmp } from "../support/tmp";

describe("networkCreateScript and networkDeleteScript", () => {
  const net = (extra: Record<string, unknown> = {}) => overlayNetworkSchema.parse({ name: "backend", ...extra });

  /** A fake docker (overlayNetworkDocker): `network inspect` answers from $dir/exists ("<driver> <scope>"), services from files. */
  function engine(exists?: string, services: { users?: string } = {}) {
    const dir = tmp("swarmlab-net-");
    if (exists) fs.writeFileSync(path.join(dir, "exists"), exists);
    const bin = fakeBin({ docker: overlayNetworkDocker(dir, services.users) });
    const log = () => fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
    return { bin, log };
  }

  it("creates an attachable, encrypted overlay with its subnet and labels (the cluster's last)", () => {
    const script = networkCreateScript(net({ encrypted: true, subnet: "10.20.0.0/24", labels: { tier: "back" } }), { "swarmlab.cluster": "lab" });
    expect(script.split("\n").map((l) => l.trim())).toContain(
      "docker network create --driver overlay --attachable --opt encrypted --subnet '10.20.0.0/24' --label 'tier=back' --label 'swarmlab.cluster=lab' 'backend' >/dev/null",
    );
    const e = engine();
    expect(runScript(script, e.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
    expect(e.log()).toEqual([
      "docker network inspect backend",
      "docker network create --driver overlay --attachable --opt encrypted --subnet 10.20.0.0/24 --label tier=back --label swarmlab.cluster=lab backend",
      "docker network inspect -f {{.Id}} backend",
    ]);
  });

  it("passes an MTU as Docker's option, which is the network underneath (the overlay's MTU + 50 bytes of VXLAN)", () => {
    const script = networkCreateScript(net({ mtu: 1400 }), { "swarmlab.cluster": "lab" });
    expect(script.split("\n").map((l) => l.trim())).toContain(
      "docker network create --driver overlay --attachable --opt com.docker.network.driver.mtu=1450 --label 'swarmlab.cluster=lab' 'backend' >/dev/null",
    );
    // an existing network is taken only with that MTU
    const same = engine("overlay swarm attachable=true encrypted= label:swarmlab.cluster=lab mtu=1450 ");
    expect(runScript(script, same.bin).code).toBe(0);
    const other = engine("overlay swarm attachable=true encrypted= label:swarmlab.cluster=lab ");
    const r = runScript(script, other.bin);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("(wanted: mtu=1450)");
  });

  it("without an MTU the script says nothing of one (networks made before see no change)", () => {
    const script = networkCreateScript(net({ encrypted: true, subnet: "10.20.0.0/24" }), { "swarmlab.cluster": "lab" });
    expect(script).not.toMatch(/mtu/);
    expect(networkCreateScript({ ...net(), mtu: undefined }, {})).toBe(networkCreateScript(net(), {}));
  });

  it("leaves out the flags that are off", () => {
    const script = networkCreateScript(net({ attachable: false }), {});
    expect(script.split("\n").map((l) => l.trim())).toContain("docker network create --driver overlay 'backend' >/dev/null");
  });

  it("does nothing when the overlay exists with the configured settings, and refuses a non-overlay network of that name", () => {
    const script = networkCreateScript(net(), { "swarmlab.cluster": "lab" });
    // as docker prints it: an unencrypted network has no "encrypted" option; a subnet chosen by docker is not compared
    const ok = engine("overlay swarm attachable=true encrypted= subnet=10.0.1.0/24 label:swarmlab.cluster=lab ");
    expect(runScript(script, ok.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
    expect(ok.log().some((l) => l.startsWith("docker network create"))).toBe(false);
    const clash = engine("bridge local attachable=false encrypted= ");
    expect(runScript(script, clash.bin)).toEqual({ code: 1, stdout: "", stderr: "a network named backend exists and is not a swarm overlay network: rename one of them\n" });
  });

  it("never adopts an existing overlay with other settings: it names what differs and what to do", () => {
    const script = networkCreateScript(net({ encrypted: true, subnet: "10.20.0.0/24", labels: { tier: "back" } }), { "swarmlab.cluster": "lab" });
    const other = engine("overlay swarm attachable=true encrypted= subnet=10.0.1.0/24 label:swarmlab.cluster=lab label:tier=front ");
    expect(runScript(script, other.bin)).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "overlay network backend exists with other settings than configured (wanted: encrypted=true subnet=10.20.0.0/24 label:tier=back): " +
        "settings cannot change in place; remove it (docker network rm backend, once no service uses it) or give the configured network another name\n",
    });
    expect(other.log().some((l) => l.startsWith("docker network create"))).toBe(false);
    const same = engine("overlay swarm attachable=true encrypted=true subnet=10.20.0.0/24 label:swarmlab.cluster=lab label:tier=back ");
    expect(runScript(script, same.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
  });

  it("removes a network no service uses; an absent one is a success", () => {
    const unused = engine("overlay swarm", { users: "'web_app other-net ' 'api_x other-net '" });
    expect(runScript(networkDeleteScript("backend"), unused.bin)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(unused.log()).toContain("docker network rm backend");
    const absent = engine();
    expect(runScript(networkDeleteScript("backend"), absent.bin)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(absent.log()).toEqual(["docker network inspect backend"]);
  });

  it("refuses to remove a network services still use, naming them", () => {
    const used = engine("overlay swarm", { users: "'web_app net-id-1 ' 'db_pg other-net ' 'api_x other-net net-id-1 '" });
    expect(runScript(networkDeleteScript("backend"), used.bin)).toEqual({
      code: 1,
      stdout: "",
      stderr: "network backend is still used by services: web_app api_x - remove them (or their stacks) first\n",
    });
    expect(used.log()).not.toContain("docker network rm backend");
    // the same check guards a replacement at plan time, with a hint of its own
    expect(runScript(networkUnusedScript("backend", ", or keep its settings"), used.bin).stderr).toBe(
      "network backend is still used by services: web_app api_x - remove them (or their stacks) first, or keep its settings\n",
    );
    expect(runScript(networkUnusedScript("backend"), engine("overlay swarm").bin).code).toBe(0);
  });
});
