/*
 * HTTPS for the cluster registry. The certificate is either the user's own (files named in the
 * config) or made by swarmlab: a CA of the cluster and a certificate for the registry's addresses,
 * signed by it, with openssl on the machine running Pulumi (the CA key is thrown away once it has
 * signed). The certificate and key go to the manager the registry is pinned to; every engine trusts
 * the CA through /etc/docker/certs.d/<address>/ca.crt, which Docker reads at each pull (no restart).
 * Pure functions: the shell text and the parsing are unit-tested without a cluster.
 */
import { shellQuote as q } from "../command/ssh";
import type { RegistryConfig } from "../config/cluster";
import { ConfigError, type Problem } from "../config/errors";
import { readConfigFiles } from "../config/files";
import { REGISTRY_STACK, REGISTRY_TLS_DIR } from "./registry";

/** The certificate and key the registry serves, and the CA engines must trust (none: publicly trusted). */
export interface RegistryTlsMaterial {
  cert: string;
  key: string;
  ca?: string;
}

/** The user's own certificate files, read and checked now; undefined when swarmlab makes them. */
export function readRegistryTls(tls: RegistryConfig["tls"], opts: { root: string; source: string }): RegistryTlsMaterial | undefined {
  if (!tls?.certFile || !tls.keyFile) return undefined;
  const files = readConfigFiles({ certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile }, { ...opts, path: "swarmlab:registry.tls" });
  const problems: Problem[] = [];
  const expect = (key: keyof typeof files, marker: RegExp, what: string) => {
    const text = files[key];
    if (text !== undefined && !marker.test(text)) {
      problems.push({ source: opts.source, path: `swarmlab:registry.tls.${key}`, message: `expected ${what} (PEM), got a file without one` });
    }
  };
  expect("certFile", /-----BEGIN CERTIFICATE-----/, "a certificate");
  expect("keyFile", /-----BEGIN (EC |RSA )?PRIVATE KEY-----/, "a private key");
  expect("caFile", /-----BEGIN CERTIFICATE-----/, "a CA certificate");
  if (problems.length) throw new ConfigError(problems);
  return { cert: files.certFile, key: files.keyFile, ...(files.caFile ? { ca: files.caFile } : {}) };
}

/** IP addresses and DNS names a certificate covers, as openssl's subjectAltName. */
export function subjectAltNames(names: string[]): string {
  const unique = [...new Set(names.filter(Boolean))];
  return unique.map((n) => (/^\d{1,3}(\.\d{1,3}){3}$/.test(n) || n.includes(":") ? `IP:${n}` : `DNS:${n}`)).join(",");
}

const SPLIT = "-----SWARMLAB-SPLIT-----";

/**
 * Run locally: a P-256 CA and a registry certificate for `names` (the registry address first; plus
 * 127.0.0.1 and localhost, where `npm run push` tunnels), printed as CA, certificate, key. The
 * certificate is valid 825 days; a new address makes a new CA and certificate.
 */
export function certificateScript(cluster: string, names: string[]): string {
  const ext = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth", `subjectAltName=${subjectAltNames([...names, "127.0.0.1", "localhost"])}`];
  return [
    "command -v openssl >/dev/null || { echo 'openssl is needed to make the registry certificate: install it, or give registry.tls.certFile and keyFile' >&2; exit 1; }",
    'd=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; cd "$d"',
    "openssl ecparam -name prime256v1 -genkey -noout -out ca.key",
    `openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj ${q(`/CN=swarmlab ${cluster} registry CA`)} -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.crt`,
    "openssl ecparam -name prime256v1 -genkey -noout -out registry.key",
    `openssl req -new -key registry.key -subj ${q(`/CN=${names[0]}`)} -out registry.csr`,
    `printf '%s\\n' ${ext.map(q).join(" ")} > ext`,
    "openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 825 -extfile ext -out registry.crt 2>/dev/null",
    `cat ca.crt; echo ${SPLIT}; cat registry.crt; echo ${SPLIT}; cat registry.key`,
  ].join("\n");
}

export function parseCertificates(stdout: string): Required<RegistryTlsMaterial> {
  const [ca, cert, key] = stdout.split(SPLIT).map((s) => `${s.trim()}\n`);
  if (!ca?.includes("BEGIN CERTIFICATE") || !cert?.includes("BEGIN CERTIFICATE") || !key?.includes("PRIVATE KEY")) {
    throw new Error("openssl did not print a CA, a certificate and a key");
  }
  return { ca, cert, key };
}

/** A short fingerprint of the installed certificate and key: what the install step prints and its check reads. */
const fingerprint = (dir: string) => `cat ${q(`${dir}/registry.crt`)} ${q(`${dir}/registry.key`)} | sha256sum | cut -c1-16`;
/** The fingerprint when both files are there, else nothing. */
const installed = (dir: string) => `if [ -e ${q(`${dir}/registry.crt`)} ] && [ -e ${q(`${dir}/registry.key`)} ]; then ${fingerprint(dir)}; fi`;

/**
 * Run on the registry's manager with SWARMLAB_REGISTRY_CERT and SWARMLAB_REGISTRY_KEY: writes them
 * (root only) where the registry mounts them, and restarts a running registry on a new pair
 * (it reads them at start). Prints the fingerprint.
 */
export function installCertificateScript(dir = REGISTRY_TLS_DIR): string {
  return [
    `dir=${q(dir)}; umask 077; mkdir -p "$dir"`,
    `old=$(${installed(dir)})`,
    `printf '%s\n' "$SWARMLAB_REGISTRY_CERT" > "$dir/registry.crt.new"; printf '%s\n' "$SWARMLAB_REGISTRY_KEY" > "$dir/registry.key.new"`,
    'mv -f "$dir/registry.crt.new" "$dir/registry.crt"; mv -f "$dir/registry.key.new" "$dir/registry.key"',
    `new=$(${fingerprint(dir)})`,
    `if [ "$new" != "$old" ] && docker service inspect ${REGISTRY_STACK}_registry >/dev/null 2>&1; then docker service update --force --detach ${REGISTRY_STACK}_registry >/dev/null; fi`,
    'echo "$new"',
  ].join("\n");
}

/** The real state of the install: the fingerprint of what is on disk (nothing there: rewritten). */
export function installedCertificateCheck(dir = REGISTRY_TLS_DIR): string {
  return installed(dir);
}

export function removeCertificateScript(dir = REGISTRY_TLS_DIR): string {
  return `rm -rf ${q(dir)}`;
}

/** Docker's per-registry trust folder: /etc/docker/certs.d/<host:port>. */
const caDir = (address: string, certsDir: string) => `${certsDir}/${address}`;

/** Run on every node with SWARMLAB_REGISTRY_CA: the engine trusts the CA for the registry address. Prints its fingerprint. */
export function trustCaScript(address: string, certsDir = "/etc/docker/certs.d"): string {
  const d = q(caDir(address, certsDir));
  return [`mkdir -p ${d}`, `printf '%s\n' "$SWARMLAB_REGISTRY_CA" > ${d}/ca.crt.new && mv -f ${d}/ca.crt.new ${d}/ca.crt`, trustedCaCheck(address, certsDir)].join("\n");
}

/** The real state: the fingerprint of the CA the engine trusts (fails when the file is gone: trusted again). */
export function trustedCaCheck(address: string, certsDir = "/etc/docker/certs.d"): string {
  return `sha256sum < ${q(`${caDir(address, certsDir)}/ca.crt`)} | cut -c1-16`;
}

export function untrustCaScript(address: string, certsDir = "/etc/docker/certs.d"): string {
  return `rm -rf ${q(caDir(address, certsDir))}`;
}
