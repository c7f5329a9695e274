/**
 * Turning a backup of an autolocked swarm into an unlocked one, on the user's machine, before it is
 * sent to a node. Docker cannot `swarm init --force-new-cluster` from encrypted state (moby/moby#36852),
 * and a backup of a multi-manager swarm cannot be unlocked and have autolock turned off (no quorum).
 *
 * So the files are rewritten exactly as swarmkit's KeyReadWriter does when the KEK is rotated to none
 * (ca/keyreadwriter.go readKey + writeKey, manager/deks.go RaftDEKData):
 * - the KEK is the unlock key's bytes (encryption.ParseHumanReadableKey: `SWMKEY-1-` + raw base64);
 * - swarm/certificates/swarm-node.key, PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 + AES-CBC, the
 *   KEK bytes as passphrase), becomes `PRIVATE KEY` holding the decrypted DER as is;
 * - the `raft-dek` / `raft-dek-pending` headers (base64 of a MaybeEncryptedRecord sealed with NaCl
 *   secretbox under the KEK) are re-encoded as NotEncrypted records; other headers are kept;
 * - `kek-version` is the backup's last committed Raft index. Swarmkit writes there the version of the
 *   cluster object that changed the KEK (manager.updateKEK), and turning autolock off at the backup's
 *   last commit would have written about that. It matters: a manager whose header version is below
 *   the cluster object's version re-encrypts at once with the cluster's KEK (the unlock key), which
 *   makes `swarm init --force-new-cluster` fail again (it restarts the node without the key); an equal
 *   version fails the manager's start ("same version, different KEK"). The cluster object's version
 *   is below the commit index (raft.Node.GetVersion: the commit index when the update was proposed;
 *   the update's own entry comes after it), and the entries `--force-new-cluster` and its cluster update
 *   add come after it: the manager stays unlocked until then, and the first cluster update after
 *   the restore locks it again with the same unlock key, as the cluster spec still asks.
 * Every other file of the archive is left byte-identical.
 *
 * The restore must then run `docker swarm init --force-new-cluster --autolock`: init applies its own
 * spec to the cluster, and without --autolock that turns autolock off and drops the unlock key
 * (docker.io 20.10). With it, the cluster keeps its unlock key and the manager is locked again by it.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import nacl from "tweetnacl";

const KEY_MEMBER = "swarm/certificates/swarm-node.key";
const CERT_MEMBER = "swarm/certificates/swarm-node.crt";
const HUMAN_PREFIX = "SWMKEY-1-";
const DEK_HEADERS = ["raft-dek", "raft-dek-pending"];
const KEK_VERSION = "kek-version";
// api/types.proto MaybeEncryptedRecord.Algorithm
const ALG_NOT_ENCRYPTED = 0;
const ALG_NACL_SECRETBOX = 1;
const ALG_FERNET = 2;

/** Autolock encrypts the node's TLS key: a PKCS#8 `ENCRYPTED PRIVATE KEY` (or a legacy `Proc-Type: 4,ENCRYPTED` block). */
export function isLockedBackup(archive: Buffer): boolean {
  const key = readMember(archive, KEY_MEMBER);
  if (key === undefined) return false;
  const block = decodePem(key.toString("utf8"));
  return block !== undefined && isEncryptedBlock(block);
}

/**
 * A new .tar.gz of `archive` whose node key and Raft DEK headers are no longer encrypted with the
 * swarm's unlock key. Throws `the unlock key does not open this backup (...)` when the key is wrong
 * or malformed; the key itself is never put in a message.
 */
export function unlockBackup(archive: Buffer, unlockKey: string): Buffer {
  const kek = parseUnlockKey(unlockKey);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-unlock-"));
  try {
    // as root, tar keeps owners and modes; --numeric-owner so they do not depend on this machine's users
    execFileSync("tar", ["-xzpf", "-", "--numeric-owner", "-C", dir], { input: archive, stdio: ["pipe", "ignore", "pipe"], maxBuffer: 2 ** 30 });
    const keyFile = path.join(dir, KEY_MEMBER);
    if (!fs.existsSync(keyFile)) throw new Error(`the backup holds no ${KEY_MEMBER}: not a swarm backup`);
    const certFile = path.join(dir, CERT_MEMBER);
    const cert = fs.existsSync(certFile) ? fs.readFileSync(certFile) : undefined;
    const kekVersion = raftCommitIndex(path.join(dir, "swarm/raft"));
    fs.writeFileSync(keyFile, unlockKeyPem(fs.readFileSync(keyFile, "utf8"), kek, kekVersion, cert));
    return execFileSync("tar", ["-czf", "-", "--numeric-owner", "-C", dir, "swarm"], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 2 ** 31 - 1 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The unencrypted PEM text swarmkit writes for `pem` (the node key file) once its KEK is none, at
 * KEK version `kekVersion`.
 * `cert` (swarm-node.crt), when given, must hold the decrypted key's public key.
 */
export function unlockKeyPem(pem: string, kek: Buffer, kekVersion: number, cert?: Buffer): string {
  const block = decodePem(pem);
  if (!block) throw new Error(`${KEY_MEMBER} is not a PEM block`);
  if (!isEncryptedBlock(block)) throw new Error(`${KEY_MEMBER} is not encrypted: the backup is not locked`);
  if (block.type !== "ENCRYPTED PRIVATE KEY") {
    throw new Error(`${KEY_MEMBER} is a legacy encrypted ${block.type} (Proc-Type header), which this tool does not decrypt`);
  }
  const der = decryptPkcs8(block.bytes, kek);
  let priv: crypto.KeyObject;
  try {
    priv = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch {
    throw wrongKey("the node's TLS key does not decrypt with it");
  }
  if (cert && !samePublicKey(priv, cert)) throw wrongKey("the decrypted TLS key does not match swarm-node.crt");
  const headers = new Map<string, string>();
  for (const [k, v] of block.headers) {
    const lower = k.trim().toLowerCase();
    if (lower === "proc-type" || lower === "dek-info") continue; // encryption headers go with the encryption
    headers.set(k, DEK_HEADERS.includes(k) ? unsealDekHeader(v, kek) : v);
  }
  headers.set(KEK_VERSION, String(kekVersion));
  return encodePem({ type: "PRIVATE KEY", headers: [...headers], bytes: der });
}

/** encryption.ParseHumanReadableKey: `SWMKEY-1-` then unpadded standard base64 (the bytes are the KEK). */
export function parseUnlockKey(unlockKey: string): Buffer {
  const s = unlockKey.trim(); // as `docker swarm unlock` reads it
  const b64 = s.startsWith(HUMAN_PREFIX) ? s.slice(HUMAN_PREFIX.length).replace(/[\r\n]/g, "") : undefined;
  if (b64 === undefined || !/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) {
    throw wrongKey(`not a swarm unlock key: expected ${HUMAN_PREFIX}<base64>, as docker swarm unlock-key prints it`);
  }
  return Buffer.from(b64, "base64");
}

function wrongKey(why: string): Error {
  return new Error(`the unlock key does not open this backup (${why})`);
}

function readMember(archive: Buffer, member: string): Buffer | undefined {
  try {
    return execFileSync("tar", ["-xzOf", "-", member], { input: archive, stdio: ["pipe", "pipe", "ignore"], maxBuffer: 2 ** 26 });
  } catch {
    return undefined;
  }
}

function samePublicKey(priv: crypto.KeyObject, cert: Buffer): boolean {
  const spki = (k: crypto.KeyObject) => k.export({ type: "spki", format: "der" });
  return spki(crypto.createPublicKey(priv)).equals(spki(new crypto.X509Certificate(cert).publicKey));
}

// ---- the last committed Raft index (etcd WAL framing; swarmkit encrypts only entries' data) ----

const WAL_STATE = 3; // walpb record types: 2 entry, 3 raftpb.HardState, 5 walpb.Snapshot
const WAL_SNAPSHOT = 5;

/**
 * The highest commit index in the backup's Raft state: HardState.commit of the WAL files, the
 * index of WAL snapshot markers and of `snap-v3-encrypted/<term>-<index>.snap` files.
 */
export function raftCommitIndex(raftDir: string): number {
  let commit = 0;
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  for (const sub of list(raftDir)) {
    const d = path.join(raftDir, sub);
    for (const name of list(d)) {
      const snap = /^[0-9a-f]{16}-([0-9a-f]{16})\.snap$/.exec(name);
      if (snap) commit = Math.max(commit, parseInt(snap[1], 16));
      if (name.endsWith(".wal")) commit = Math.max(commit, walCommitIndex(fs.readFileSync(path.join(d, name))));
    }
  }
  if (commit === 0) throw new Error(`the backup holds no Raft log or snapshot under swarm/raft: not a swarm backup`);
  return commit;
}

function walCommitIndex(wal: Buffer): number {
  let commit = 0;
  for (let i = 0; i + 8 <= wal.length; ) {
    const lo = wal.readUInt32LE(i);
    const hi = wal.readUInt32LE(i + 4);
    if (lo === 0 && hi === 0) break; // the preallocated rest of the file
    // frame length: low 56 bits; when the top bit is set, the low 3 bits of the top byte are padding
    const len = lo + (hi & 0xffffff) * 2 ** 32;
    const pad = hi & 0x80000000 ? (hi >>> 24) & 7 : 0;
    i += 8;
    if (i + len > wal.length) break; // a torn last write
    const rec = protoFields(wal.subarray(i, i + len));
    const type = rec.get(1)?.num ?? 0;
    const data = rec.get(3)?.bytes;
    if (data && type === WAL_STATE) commit = Math.max(commit, protoFields(data).get(3)?.num ?? 0);
    if (data && type === WAL_SNAPSHOT) commit = Math.max(commit, protoFields(data).get(1)?.num ?? 0);
    i += len + pad;
  }
  return commit;
}

/** The last value of each field of a protobuf message (varint and length-delimited only). */
function protoFields(buf: Buffer): Map<number, { num?: number; bytes?: Buffer }> {
  const out = new Map<number, { num?: number; bytes?: Buffer }>();
  let i = 0;
  const varint = (): number => {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      if (i >= buf.length || shift > 63) throw new Error("not a protobuf message");
      const b = buf[i++];
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) out.set(field, { num: varint() });
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error("not a protobuf message");
      out.set(field, { bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error("not a protobuf message");
  }
  return out;
}

// ---- NaCl secretbox DEK headers (manager/deks.go decodePEMHeaderValue / encodePEMHeaderValue) ----

/** api/types.proto MaybeEncryptedRecord. */
export interface MaybeEncryptedRecord {
  algorithm: number;
  data: Buffer;
  nonce: Buffer;
}

function unsealDekHeader(value: string, kek: Buffer): string {
  const rec = decodeRecord(Buffer.from(value, "base64"));
  let dek: Buffer;
  if (rec.algorithm === ALG_NOT_ENCRYPTED) dek = rec.data;
  else if (rec.algorithm === ALG_NACL_SECRETBOX) {
    // NewNACLSecretbox copies the KEK into a zeroed 32-byte key
    const key = new Uint8Array(nacl.secretbox.keyLength);
    key.set(kek.subarray(0, key.length));
    const opened = rec.nonce.length === nacl.secretbox.nonceLength ? nacl.secretbox.open(rec.data, rec.nonce, key) : null;
    if (!opened) throw wrongKey("the Raft data key does not decrypt with it");
    dek = Buffer.from(opened);
  } else if (rec.algorithm === ALG_FERNET) throw new Error("the Raft data key is Fernet-encrypted (a FIPS engine), which this tool does not decrypt");
  else throw new Error(`the Raft data key is encrypted with an unknown algorithm (${rec.algorithm})`);
  return encodeRecord({ algorithm: ALG_NOT_ENCRYPTED, data: dek, nonce: Buffer.alloc(0) }).toString("base64");
}

/** MaybeEncryptedRecord: 1 algorithm (varint enum), 2 data (bytes), 3 nonce (bytes). */
export function decodeRecord(buf: Buffer): MaybeEncryptedRecord {
  let f: ReturnType<typeof protoFields>;
  try {
    f = protoFields(buf);
  } catch {
    throw new Error("the Raft data key header is not a MaybeEncryptedRecord");
  }
  return { algorithm: f.get(1)?.num ?? 0, data: Buffer.from(f.get(2)?.bytes ?? []), nonce: Buffer.from(f.get(3)?.bytes ?? []) };
}

/** As gogo/protobuf marshals it (proto3: zero enum and empty bytes are left out). */
export function encodeRecord(rec: MaybeEncryptedRecord): Buffer {
  const out: number[] = [];
  const varint = (n: number) => {
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    out.push(n);
  };
  if (rec.algorithm !== 0) {
    out.push(0x08);
    varint(rec.algorithm);
  }
  for (const [tag, bytes] of [[0x12, rec.data], [0x1a, rec.nonce]] as const) {
    if (bytes.length === 0) continue;
    out.push(tag);
    varint(bytes.length);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

// ---- encrypted PKCS#8 (what swarmkit's ca/pkcs8 writes: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) ----

const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacSha1: "1.2.840.113549.2.7",
  hmacSha256: "1.2.840.113549.2.9",
  aes128cbc: "2.16.840.1.101.3.4.1.2",
  aes256cbc: "2.16.840.1.101.3.4.1.42",
};

interface Der {
  tag: number;
  body: Buffer;
}

function derItems(buf: Buffer): Der[] {
  const items: Der[] = [];
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++];
    let len = buf[i++];
    if (len === undefined) throw new Error("truncated DER");
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Error("unsupported DER length");
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++];
    }
    if (i + len > buf.length) throw new Error("truncated DER");
    items.push({ tag, body: buf.subarray(i, i + len) });
    i += len;
  }
  return items;
}

function seq(d: Der | undefined): Der[] {
  if (!d || d.tag !== 0x30) throw new Error("expected a DER SEQUENCE");
  return derItems(d.body);
}

function oid(d: Der | undefined): string {
  if (!d || d.tag !== 0x06) throw new Error("expected a DER OBJECT IDENTIFIER");
  const parts: number[] = [];
  let n = 0;
  for (const b of d.body) {
    n = n * 128 + (b & 0x7f);
    if (b < 0x80) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join(".");
}

function bytesOf(d: Der | undefined, tag: number): Buffer {
  if (!d || d.tag !== tag) throw new Error(`expected DER tag ${tag}`);
  return d.body;
}

function intOf(d: Der | undefined): number {
  return bytesOf(d, 0x02).reduce((n, b) => n * 256 + b, 0);
}

/** The PKCS#8 PrivateKeyInfo DER inside an EncryptedPrivateKeyInfo, as ca/pkcs8 DecryptPEMBlock returns it. */
function decryptPkcs8(der: Buffer, passphrase: Buffer): Buffer {
  let params: { salt: Buffer; iter: number; digest: string; cipher: string; keyLen: number; iv: Buffer; data: Buffer };
  try {
    const [alg, data] = seq(derItems(der)[0]);
    const [algOid, pbes2] = seq(alg);
    if (oid(algOid) !== OID.pbes2) throw new Error("not PBES2");
    const [kdf, enc] = seq(pbes2);
    const [kdfOid, kdfParams] = seq(kdf);
    if (oid(kdfOid) !== OID.pbkdf2) throw new Error("not PBKDF2");
    const kp = seq(kdfParams);
    const prf = kp.find((x) => x.tag === 0x30);
    const prfOid = prf ? oid(seq(prf)[0]) : OID.hmacSha1;
    const [encOid, iv] = seq(enc);
    const cipherOid = oid(encOid);
    const cipher = cipherOid === OID.aes256cbc ? "aes-256-cbc" : cipherOid === OID.aes128cbc ? "aes-128-cbc" : undefined;
    if (!cipher) throw new Error(`cipher ${cipherOid}`);
    if (prfOid !== OID.hmacSha1 && prfOid !== OID.hmacSha256) throw new Error(`PRF ${prfOid}`);
    params = {
      salt: bytesOf(kp[0], 0x04),
      iter: intOf(kp[1]),
      digest: prfOid === OID.hmacSha256 ? "sha256" : "sha1",
      cipher,
      keyLen: cipher === "aes-256-cbc" ? 32 : 16,
      iv: bytesOf(iv, 0x04),
      data: bytesOf(data, 0x04),
    };
  } catch (e) {
    throw new Error(`${KEY_MEMBER} is not an encrypted PKCS#8 key swarmkit writes (${(e as Error).message})`);
  }
  const key = crypto.pbkdf2Sync(passphrase, params.salt, params.iter, params.keyLen, params.digest);
  try {
    const d = crypto.createDecipheriv(params.cipher, key, params.iv);
    return Buffer.concat([d.update(params.data), d.final()]);
  } catch {
    throw wrongKey("the node's TLS key does not decrypt with it");
  }
}

// ---- PEM with headers, as Go's encoding/pem reads and writes it ----

export interface PemBlock {
  type: string;
  /** In file order; Go keeps them in a map (last one wins) and writes Proc-Type first, then the rest sorted. */
  headers: [string, string][];
  bytes: Buffer;
}

export function decodePem(text: string): PemBlock | undefined {
  const m = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return undefined;
  const lines = m[2].split(/\r?\n/);
  const headers: [string, string][] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const c = lines[i].indexOf(":");
    if (c < 0) break;
    headers.push([lines[i].slice(0, c).trim(), lines[i].slice(c + 1).trim()]);
  }
  return { type: m[1], headers, bytes: Buffer.from(lines.slice(i).join(""), "base64") };
}

export function encodePem(block: PemBlock): string {
  const headers = new Map(block.headers);
  const keys = [...headers.keys()].filter((k) => k !== "Proc-Type").sort();
  if (headers.has("Proc-Type")) keys.unshift("Proc-Type");
  const head = keys.length ? keys.map((k) => `${k}: ${headers.get(k)}\n`).join("") + "\n" : "";
  const b64 = block.bytes.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n");
  return `-----BEGIN ${block.type}-----\n${head}${b64}-----END ${block.type}-----\n`;
}

function isEncryptedBlock(block: PemBlock): boolean {
  // keyutils.IsEncryptedPEMBlock: PKCS#8 encrypted, or legacy RFC 1423 encryption headers
  return block.type === "ENCRYPTED PRIVATE KEY" || block.headers.some(([k, v]) => k === "Proc-Type" && v.includes("ENCRYPTED"));
}
