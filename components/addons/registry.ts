import { createHash } from "crypto";
import { shellQuote as q } from "../command/ssh";
import type { RegistryConfig } from "../config/cluster";

/** The registry's stack name and where it keeps its data (a volume on the manager it is pinned to). */
export const REGISTRY_STACK = "swarmlab-registry";

/** Where the certificate and key live on the registry's manager (bind-mounted read-only into the registry). */
export const REGISTRY_TLS_DIR = "/etc/swarmlab/registry-tls";

/**
 * The registry as a compose stack: one replica with a volume, constrained to managers and pinned to
 * one of them (a local volume does not follow a task to another node), on `port`: plain HTTP, or
 * HTTPS with `tls` (the certificate and key from REGISTRY_TLS_DIR on that manager).
 * With auth, the htpasswd file is a swarm secret (content-hashed name; CNCF distribution reads REGISTRY_AUTH_*).
 */
export function registryCompose(cfg: RegistryConfig, pinnedManager: string, withAuth: boolean): string {
  const auth = withAuth
    ? [
        "      REGISTRY_AUTH: htpasswd",
        "      REGISTRY_AUTH_HTPASSWD_REALM: swarmlab",
        "      REGISTRY_AUTH_HTPASSWD_PATH: /run/secrets/htpasswd",
        "    secrets:",
        "      - htpasswd",
      ]
    : [];
  const tls = cfg.tls
    ? ["      REGISTRY_HTTP_TLS_CERTIFICATE: /certs/registry.crt", "      REGISTRY_HTTP_TLS_KEY: /certs/registry.key"]
    : [];
  return [
    "services:",
    "  registry:",
    `    image: ${JSON.stringify(cfg.image)}`,
    "    environment:",
    "      REGISTRY_STORAGE_DELETE_ENABLED: \"true\"",
    ...tls,
    ...auth,
    "    ports:",
    `      - { target: 5000, published: ${cfg.port}, protocol: tcp }`,
    "    volumes:",
    "      - registry-data:/var/lib/registry",
    ...(cfg.tls ? [`      - ${REGISTRY_TLS_DIR}:/certs:ro`] : []),
    "    deploy:",
    "      replicas: 1",
    "      placement:",
    "        constraints:",
    "          - node.role == manager",
    `          - node.hostname == ${pinnedManager}`,
    "      restart_policy: { condition: any, delay: 2s }",
    "volumes:",
    "  registry-data: {}",
    ...(withAuth ? ["secrets:", "  htpasswd:", "    environment: REGISTRY_HTPASSWD"] : []),
    "",
  ].join("\n");
}

/** The address every node pulls from: the same on every node (the pinned manager's advertise address). */
export function registryAddress(managerAdvertiseAddress: string, port: number): string {
  return `${managerAdvertiseAddress}:${port}`;
}

/** Waits (up to `seconds`) until this engine is an active swarm member again and, on a manager, sees itself Ready; says so if not. */
function waitBackInSwarm(seconds: number): string {
  const back = `[ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ] && { [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" != true ] || [ "$(docker node inspect self --format '{{.Status.State}}')" = ready ]; }`;
  return `for i in $(seq 1 ${seconds}); do if ${back}; then break; fi; [ $i = ${seconds} ] && echo "dockerd on $(hostname) restarted but is not back in the swarm after ${seconds} s" >&2; sleep 1; done`;
}

/**
 * Run on every node: make the engine trust the plain-HTTP registry. `insecure-registries` is merged
 * into `daemonJson` (/etc/docker/daemon.json; the original kept as daemon.json.swarmlab-backup) and applied by a
 * live reload (SIGHUP); dockerd is restarted only if the reload did not take, and only when the
 * configuration really changed, and then waited for until the node is back in the swarm.
 * Prints `unchanged`, `reloaded` or `restarted`.
 */
export function trustRegistryScript(address: string, daemonJson = "/etc/docker/daemon.json"): string {
  const a = q(address);
  const dir = daemonJson.slice(0, daemonJson.lastIndexOf("/")) || "/";
  const trusted = `docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\\"${address}\\":{[^}]*\\"Secure\\":false"`;
  return [
    `if ${trusted}; then echo unchanged; exit 0; fi`,
    "was=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)",
    `f=${q(daemonJson)}; mkdir -p ${q(dir)}`,
    '[ -e "$f" ] && [ ! -e "$f.swarmlab-backup" ] && cp -p "$f" "$f.swarmlab-backup"',
    `if [ ! -s "$f" ] || [ "$(tr -d ' \\n\\t' < "$f")" = "{}" ]; then printf '{"insecure-registries": [%s]}\\n' ${q(JSON.stringify(address))} > "$f"`,
    `elif grep -q ${q(`"${address}"`)} "$f"; then :`,
    `elif grep -Eq '"insecure-registries"[[:space:]]*:[[:space:]]*\\[[[:space:]]*\\]' "$f"; then sed -i -E 's#("insecure-registries"[[:space:]]*:[[:space:]]*\\[)[[:space:]]*\\]#\\1"'${a}'"]#' "$f"`,
    `elif grep -q '"insecure-registries"' "$f"; then sed -i -E 's#("insecure-registries"[[:space:]]*:[[:space:]]*\\[)#\\1"'${a}'", #' "$f"`,
    `else sed -i '0,/{/s//{"insecure-registries": ["'${a}'"], /' "$f"; fi`,
    'pid=$(pidof dockerd || true); [ -n "$pid" ] && kill -HUP $pid',
    `for i in $(seq 1 10); do if ${trusted}; then echo reloaded; exit 0; fi; sleep 1; done`,
    "if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q docker; then systemctl restart docker; else pkill -x dockerd || true; fi",
    "for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done",
    // a restarted swarm member is usable once it is back in the swarm (and, on a manager, listed Ready)
    `if [ "$was" = active ]; then ${waitBackInSwarm(60)}; fi`,
    `if ${trusted}; then echo restarted; exit 0; fi`,
    `echo "dockerd on $(hostname) does not trust ${address} after editing $f: check that file (a backup is $f.swarmlab-backup)" >&2; exit 1`,
  ].join("\n");
}

/**
 * An htpasswd line for the registry. CNCF distribution accepts only bcrypt; bcrypt with a salt
 * derived from the user and password keeps the line stable across runs (no spurious redeploys).
 */
export function htpasswdLine(username: string, password: string, bcryptHash: (pw: string, salt: string) => string): string {
  const seed = createHash("sha256").update(`${username}\0${password}`).digest();
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const salt = `$2b$10$${Array.from(seed.subarray(0, 22), (b) => alphabet[b % 64]).join("")}`;
  return `${username}:${bcryptHash(password, salt)}\n`;
}
