/**
 * HTTPS for the registry (components/addons/registryTls.ts): the certificate script run for real
 * with openssl and checked by a TLS handshake, the user's files, the install and trust scripts run
 * by bash against temp folders and a fake docker; and where the feature reaches the modules around
 * it, kept here with it: registryCompose with tls (registry.ts) and the ClusterAddons graph with
 * registry.tls (index.ts) under the mocks of test/support/mocks.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { registrySchema } from "../../components/config/cluster";
import { REGISTRY_STACK, registryCompose } from "../../components/addons/registry";
import {
  certificateScript,
  installCertificateScript,
  installedCertificateCheck,
  parseCertificates,
  readRegistryTls,
  removeCertificateScript,
  subjectAltNames,
  trustCaScript,
  trustedCaCheck,
  untrustCaScript,
} from "../../components/addons/registryTls";
import { recordingDocker } from "../support/fakeDocker";
import { runBash, writeFakes } from "../support/fakes";
import { COMMAND_TYPE, FAKE_TLS, dependsOnOf, findCommand, namesOf, recorded, resolve, servicesUnderMocks, setupMocks } from "../support/mocks";
import { tmp } from "../support/tmp";

/** Runs a script as the command resource does (bash by its path: a test may hide everything else on PATH). */
const bash = (script: string, env: Record<string, string> = {}) => runBash(script, { env, timeout: 30_000 });

function openssl(args: string[], input?: string): string {
  const r = spawnSync("openssl", args, { encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("certificateScript (real openssl)", () => {
  let made: { ca: string; cert: string; key: string };

  beforeAll(() => {
    const r = bash(certificateScript("lab", ["172.28.0.129", "127.0.0.1"]));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    made = parseCertificates(r.stdout);
  });

  it("prints a CA and a certificate it signed, for the registry addresses, 127.0.0.1 and localhost", () => {
    const dir = tmp("swarmlab-tls-");
    fs.writeFileSync(path.join(dir, "ca.crt"), made.ca);
    fs.writeFileSync(path.join(dir, "registry.crt"), made.cert);
    expect(openssl(["verify", "-CAfile", path.join(dir, "ca.crt"), path.join(dir, "registry.crt")]).trim()).toBe(`${path.join(dir, "registry.crt")}: OK`);
    const ext = openssl(["x509", "-noout", "-ext", "subjectAltName,basicConstraints,extendedKeyUsage"], made.cert);
    expect(ext).toContain("IP Address:172.28.0.129, IP Address:127.0.0.1, DNS:localhost");
    expect(ext).toContain("CA:FALSE");
    expect(ext).toContain("TLS Web Server Authentication");
    expect(openssl(["x509", "-noout", "-subject"], made.ca).trim()).toBe("subject=CN = swarmlab lab registry CA");
    expect(openssl(["x509", "-noout", "-ext", "basicConstraints"], made.ca)).toContain("CA:TRUE");
    expect(made.key).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  });

  it("is what a TLS client that trusts only the CA accepts for the registry's IP address", async () => {
    const server = https.createServer({ cert: made.cert, key: made.key }, (_req, res) => res.end("registry"));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const port = (server.address() as AddressInfo).port;
      const get = (ca: string) =>
        new Promise<string>((ok, fail) => {
          https.get({ host: "127.0.0.1", port, path: "/v2/", ca }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => ok(body));
          }).on("error", fail);
        });
      await expect(get(made.ca)).resolves.toBe("registry");
      const other = parseCertificates(bash(certificateScript("other", ["10.0.0.1"])).stdout);
      await expect(get(other.ca)).rejects.toThrow(/self-signed|unable to verify|certificate/i);
    } finally {
      server.close();
    }
  });

  it("fails with one sentence when openssl is missing", () => {
    const r = bash(certificateScript("lab", ["10.0.0.1"]), { PATH: "/nonexistent" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("openssl is needed to make the registry certificate: install it, or give registry.tls.certFile and keyFile");
  });

  it("names IPs and DNS names apart, once each", () => {
    expect(subjectAltNames(["10.0.0.1", "registry.lab", "10.0.0.1", "::1"])).toBe("IP:10.0.0.1,DNS:registry.lab,IP:::1");
    expect(() => parseCertificates("nothing")).toThrow("openssl did not print a CA, a certificate and a key");
  });
});

describe("readRegistryTls (the user's own files)", () => {
  const opts = () => ({ root: dir, source: "Pulumi.prod.yaml" });
  let dir = "";
  beforeAll(() => {
    dir = tmp("swarmlab-tls-files-");
    fs.writeFileSync(path.join(dir, "reg.crt"), FAKE_TLS.cert);
    fs.writeFileSync(path.join(dir, "reg.key"), FAKE_TLS.key);
    fs.writeFileSync(path.join(dir, "ca.crt"), FAKE_TLS.ca);
    fs.writeFileSync(path.join(dir, "junk"), "not a pem\n");
  });

  it("is nothing to read when swarmlab makes the certificate", () => {
    expect(readRegistryTls(undefined, opts())).toBeUndefined();
    expect(readRegistryTls({}, opts())).toBeUndefined();
  });

  it("reads the certificate, the key and the CA, relative to the project", () => {
    expect(readRegistryTls({ certFile: "reg.crt", keyFile: "reg.key", caFile: "ca.crt" }, opts())).toEqual({ cert: FAKE_TLS.cert, key: FAKE_TLS.key, ca: FAKE_TLS.ca });
    expect(readRegistryTls({ certFile: "reg.crt", keyFile: "reg.key" }, opts())).toEqual({ cert: FAKE_TLS.cert, key: FAKE_TLS.key });
  });

  it("names every file that cannot be read, or is not what its key says, at once", () => {
    expect(() => readRegistryTls({ certFile: "nope.crt", keyFile: "nope.key" }, opts())).toThrow(
      [
        `Pulumi.prod.yaml: swarmlab:registry.tls.certFile: cannot read ${path.join(dir, "nope.crt")}: ENOENT`,
        `Pulumi.prod.yaml: swarmlab:registry.tls.keyFile: cannot read ${path.join(dir, "nope.key")}: ENOENT`,
      ].join("\n"),
    );
    expect(() => readRegistryTls({ certFile: "reg.key", keyFile: "junk", caFile: "junk" }, opts())).toThrow(
      [
        "Pulumi.prod.yaml: swarmlab:registry.tls.certFile: expected a certificate (PEM), got a file without one",
        "Pulumi.prod.yaml: swarmlab:registry.tls.keyFile: expected a private key (PEM), got a file without one",
        "Pulumi.prod.yaml: swarmlab:registry.tls.caFile: expected a CA certificate (PEM), got a file without one",
      ].join("\n"),
    );
  });
});

describe("registryCompose with tls", () => {
  it("serves HTTPS from the certificate folder of its manager, mounted read-only", () => {
    const doc = parse(registryCompose(registrySchema.parse({ tls: {} }), "manager1", false));
    const r = doc.services.registry;
    expect(r.environment).toMatchObject({ REGISTRY_HTTP_TLS_CERTIFICATE: "/certs/registry.crt", REGISTRY_HTTP_TLS_KEY: "/certs/registry.key" });
    expect(r.volumes).toEqual(["registry-data:/var/lib/registry", "/etc/swarmlab/registry-tls:/certs:ro"]);
    expect(r.deploy.placement.constraints).toContain("node.hostname == manager1");
    const plain = parse(registryCompose(registrySchema.parse({}), "manager1", false)).services.registry;
    expect(Object.keys(plain.environment)).toEqual(["REGISTRY_STORAGE_DELETE_ENABLED"]);
  });
});

describe("installing the certificate and trusting the CA (bash, temp folders, fake docker)", () => {
  const env = { SWARMLAB_REGISTRY_CERT: FAKE_TLS.cert.trim(), SWARMLAB_REGISTRY_KEY: FAKE_TLS.key.trim() };

  /** A docker that records its calls; `service inspect` finds the registry service or not (recordingDocker). */
  function fakeDocker(serviceExists: boolean): { bin: string; log: string } {
    const bin = tmp("swarmlab-tls-bin-");
    const log = path.join(bin, "log");
    writeFakes(bin, { docker: recordingDocker(log, { cases: { "service inspect": `exit ${serviceExists ? 0 : 1}` } }) });
    return { bin, log };
  }
  const calls = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);

  it("writes the pair for root only, prints its fingerprint, and restarts a running registry only on a new pair", () => {
    const dir = path.join(tmp("swarmlab-tls-install-"), "registry-tls");
    const { bin, log } = fakeDocker(true);
    const PATH = `${bin}:${process.env.PATH}`;
    const first = bash(installCertificateScript(dir), { ...env, PATH });
    expect(first.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, "registry.crt"), "utf8")).toBe(FAKE_TLS.cert);
    expect(fs.readFileSync(path.join(dir, "registry.key"), "utf8")).toBe(FAKE_TLS.key);
    expect(fs.statSync(path.join(dir, "registry.key")).mode & 0o777).toBe(0o600);
    expect(first.stdout).toMatch(/^[0-9a-f]{16}\n$/);
    expect(calls(log)).toEqual([`service inspect ${REGISTRY_STACK}_registry`, `service update --force --detach ${REGISTRY_STACK}_registry`]);
    // the check reads what is there: the same fingerprint
    expect(bash(installedCertificateCheck(dir)).stdout).toBe(first.stdout);

    fs.rmSync(log);
    expect(bash(installCertificateScript(dir), { ...env, PATH }).stdout).toBe(first.stdout);
    expect(calls(log)).toEqual([]);

    const rotated = bash(installCertificateScript(dir), { ...env, SWARMLAB_REGISTRY_KEY: "-----BEGIN EC PRIVATE KEY-----\nbmV3\n-----END EC PRIVATE KEY-----", PATH });
    expect(rotated.stdout).not.toBe(first.stdout);
    expect(calls(log)).toEqual([`service inspect ${REGISTRY_STACK}_registry`, `service update --force --detach ${REGISTRY_STACK}_registry`]);

    expect(bash(removeCertificateScript(dir)).code).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
    expect(bash(installedCertificateCheck(dir)).stdout).toBe("");
  });

  it("does not restart a registry that is not deployed yet", () => {
    const dir = path.join(tmp("swarmlab-tls-install-"), "registry-tls");
    const { bin, log } = fakeDocker(false);
    expect(bash(installCertificateScript(dir), { ...env, PATH: `${bin}:${process.env.PATH}` }).code).toBe(0);
    expect(calls(log)).toEqual([`service inspect ${REGISTRY_STACK}_registry`]);
  });

  it("trusts the CA in Docker's certs.d folder of the registry address; the check fails once it is gone", () => {
    const certs = tmp("swarmlab-certs-d-");
    const r = bash(trustCaScript("10.0.0.5:5000", certs), { SWARMLAB_REGISTRY_CA: FAKE_TLS.ca.trim() });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(certs, "10.0.0.5:5000", "ca.crt"), "utf8")).toBe(FAKE_TLS.ca);
    expect(bash(trustedCaCheck("10.0.0.5:5000", certs)).stdout).toBe(r.stdout);
    expect(r.stdout).toMatch(/^[0-9a-f]{16}\n$/);
    expect(bash(untrustCaScript("10.0.0.5:5000", certs)).code).toBe(0);
    expect(fs.existsSync(path.join(certs, "10.0.0.5:5000"))).toBe(false);
    expect(bash(trustedCaCheck("10.0.0.5:5000", certs)).code).not.toBe(0);
  });
});

describe("ClusterAddons with registry.tls under mocks", () => {
  const IP = { manager1: "172.28.0.129", worker1: "172.28.0.172" };
  let urls: Record<string, string>;
  let ca: string | undefined;

  beforeAll(async () => {
    await setupMocks();
    const { services } = await servicesUnderMocks(
      {
        "swarmlab:name": "tls",
        "swarmlab:hosts": { kind: "docker-lab", privileged: true, reachability: "direct" },
        "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "worker1" }],
        "swarmlab:registry": { tls: {}, auth: { username: "ci", password: "a long password" } },
      },
      "tls-services",
    );
    urls = await resolve(services.urls);
    ca = services.registryCa && (await resolve(services.registryCa));
  });

  it("makes the CA and certificate locally for the manager's address, its stdout a secret", () => {
    const gen = findCommand("tls-services-registry-certificate");
    expect(gen.inputs.connection).toBeUndefined();
    expect(gen.inputs.create).toBe(certificateScript("tls", [IP.manager1, IP.manager1]));
    expect(gen.additionalSecretOutputs).toContain("stdout");
  });

  it("installs the pair on the registry's manager from secret environment variables, checked against the disk", () => {
    const install = findCommand("tls-services-registry-certificate-install");
    expect((install.inputs.connection as { host: string }).host).toBe(IP.manager1);
    expect(install.inputs.environment).toEqual({ SWARMLAB_REGISTRY_CERT: FAKE_TLS.cert.trim(), SWARMLAB_REGISTRY_KEY: FAKE_TLS.key.trim() });
    expect(install.secretInputs).toContain("environment");
    expect(install.inputs.check).toBe(installedCertificateCheck());
    expect(install.inputs.delete).toBe(removeCertificateScript());
  });

  it("has every engine trust the CA instead of listing the registry as insecure", () => {
    expect(recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("tls-services-trust-registry-") && !r.name.includes("-ca-"))).toEqual([]);
    for (const n of ["manager1", "worker1"] as const) {
      const t = findCommand(`tls-services-trust-registry-ca-${n}`);
      expect((t.inputs.connection as { host: string }).host).toBe(IP[n]);
      expect(t.inputs.create).toBe(trustCaScript(`${IP.manager1}:5000`));
      expect(t.inputs.check).toBe(trustedCaCheck(`${IP.manager1}:5000`));
      expect(t.inputs.delete).toBe(untrustCaScript(`${IP.manager1}:5000`));
      expect(t.inputs.environment).toEqual({ SWARMLAB_REGISTRY_CA: FAKE_TLS.ca.trim() });
    }
    expect(ca).toBe(FAKE_TLS.ca);
  });

  it("deploys the registry over HTTPS with auth (no plain-HTTP opt-in needed) after the install and the trust", () => {
    const deploy = findCommand("tls-services-registry-deploy");
    const doc = parse(String(deploy.inputs.stdin));
    expect(doc.services.registry.environment.REGISTRY_HTTP_TLS_CERTIFICATE).toBe("/certs/registry.crt");
    expect(doc.services.registry.environment.REGISTRY_AUTH).toBe("htpasswd");
    expect(namesOf(dependsOnOf(deploy))).toEqual(["tls-nodes", "tls-services-registry-certificate-install", "tls-services-trust-registry-ca-manager1", "tls-services-trust-registry-ca-worker1"]);
    expect(urls.registry).toBe(`https://${IP.manager1}:5000/v2/`);
  });
});
