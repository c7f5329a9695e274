/**
 * components/swarm/unlockBackup.ts on a real backup: test/fixtures/backups/autolocked-swarm.tar.gz is
 * /var/lib/docker/swarm of a throwaway single-manager swarm (docker.io 20.10 in a lab node, autolock
 * on, a secret and a service), taken by backupScript(). Its unlock key is below: that swarm is gone.
 * The real system tar unpacks and repacks.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decodePem,
  decodeRecord,
  encodePem,
  encodeRecord,
  isLockedBackup,
  parseUnlockKey,
  raftCommitIndex,
  unlockBackup,
} from "../../components/swarm/unlockBackup";
import { tmp } from "../support/tmp";

const FIXTURE = path.join(__dirname, "../fixtures/backups/autolocked-swarm.tar.gz");
const UNLOCK_KEY = "SWMKEY-1-cZY/yysS5u+QDTsbfdCXY5PdC7cILbvkdS95o1nB1BE";
// another well-formed key (32 bytes), not this swarm's
const OTHER_KEY = "SWMKEY-1-r7Z5Z45/WhbsnMYc4dh+L7GFb1UZjND0rG6hWQKUINc";
const KEY_MEMBER = "swarm/certificates/swarm-node.key";

const locked = fs.readFileSync(FIXTURE);

function extract(archive: Buffer): string {
  const dir = tmp("swarmlab-unlock-test-");
  execFileSync("tar", ["-xzpf", "-", "--numeric-owner", "-C", dir], { input: archive, maxBuffer: 2 ** 30 });
  return dir;
}

/** Every member: path -> "type mode uid/gid" and, for files, the SHA-256 of the content. */
function members(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const st = fs.lstatSync(path.join(dir, rel));
    const meta = `${st.isDirectory() ? "d" : "f"} ${(st.mode & 0o7777).toString(8)} ${st.uid}/${st.gid}`;
    if (st.isDirectory()) {
      out.set(rel, meta);
      for (const n of fs.readdirSync(path.join(dir, rel))) walk(path.join(rel, n));
    } else out.set(rel, `${meta} ${crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, rel))).digest("hex")}`);
  };
  walk("swarm");
  return out;
}

describe("isLockedBackup", () => {
  it("tells a backup of an autolocked swarm from an unlocked one", () => {
    expect(isLockedBackup(locked)).toBe(true);
    expect(isLockedBackup(unlockBackup(locked, UNLOCK_KEY))).toBe(false);
  });
});

describe("unlockBackup", () => {
  let before: string;
  let after: string;
  let pem: string;
  beforeAll(() => {
    before = extract(locked);
    after = extract(unlockBackup(locked, UNLOCK_KEY));
    pem = fs.readFileSync(path.join(after, KEY_MEMBER), "utf8");
  });

  it("writes the node key unencrypted, the key Node's crypto decrypts with the KEK as passphrase", () => {
    const block = decodePem(pem);
    expect(block?.type).toBe("PRIVATE KEY");
    expect(block?.headers.map(([k]) => k)).toEqual(["kek-version", "raft-dek"]);
    // OpenSSL's PEM reader refuses headers other than Proc-Type/DEK-Info: the DER goes in directly
    const plain = crypto.createPrivateKey({ key: block!.bytes, format: "der", type: "pkcs8" });
    expect(plain.asymmetricKeyType).toBe("ec");
    const sealed = decodePem(fs.readFileSync(path.join(before, KEY_MEMBER), "utf8"))!;
    expect(sealed.type).toBe("ENCRYPTED PRIVATE KEY");
    const original = crypto.createPrivateKey({ key: sealed.bytes, format: "der", type: "pkcs8", passphrase: parseUnlockKey(UNLOCK_KEY) });
    const jwk = (k: crypto.KeyObject) => k.export({ format: "jwk" });
    expect(jwk(plain)).toEqual(jwk(original));
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(after, "swarm/certificates/swarm-node.crt")));
    expect(cert.checkPrivateKey(plain)).toBe(true);
  });

  it("lays the PEM out as Go's encoding/pem does (sorted headers, a blank line, 64-column base64)", () => {
    const lines = pem.split("\n");
    expect(lines[0]).toBe("-----BEGIN PRIVATE KEY-----");
    expect(lines[3]).toBe("");
    expect(lines.slice(4, -3).every((l) => l.length === 64)).toBe(true);
    expect(pem.endsWith("-----END PRIVATE KEY-----\n")).toBe(true);
    expect(encodePem(decodePem(pem)!)).toBe(pem);
  });

  it("re-encodes the Raft DEK as a NotEncrypted record holding the DEK the KEK sealed", () => {
    const header = (text: string) => new Map(decodePem(text)!.headers).get("raft-dek")!;
    const sealed = decodeRecord(Buffer.from(header(fs.readFileSync(path.join(before, KEY_MEMBER), "utf8")), "base64"));
    expect(sealed.algorithm).toBe(1); // NACLSecretboxSalsa20Poly1305
    const dek = nacl.secretbox.open(sealed.data, sealed.nonce, parseUnlockKey(UNLOCK_KEY));
    const plain = decodeRecord(Buffer.from(header(pem), "base64"));
    expect(plain.algorithm).toBe(0); // NotEncrypted
    expect(plain.nonce.length).toBe(0);
    expect(plain.data.length).toBe(32);
    expect(Buffer.from(dek!).equals(plain.data)).toBe(true);
    // as gogo/protobuf writes it: field 2 only
    expect(Buffer.from(header(pem), "base64").subarray(0, 2)).toEqual(Buffer.from([0x12, 0x20]));
    expect(encodeRecord(plain).toString("base64")).toBe(header(pem));
  });

  it("sets kek-version to the backup's last Raft commit, above the cluster version it was locked at", () => {
    const version = (dir: string) => Number(new Map(decodePem(fs.readFileSync(path.join(dir, KEY_MEMBER), "utf8"))!.headers).get("kek-version"));
    expect(version(before)).toBe(11);
    expect(raftCommitIndex(path.join(before, "swarm/raft"))).toBe(21);
    expect(version(after)).toBe(21);
  });

  it("keeps every other member byte-identical, with its mode and owner", () => {
    const a = members(before);
    const b = members(after);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, meta] of a) if (name !== KEY_MEMBER) expect(b.get(name), name).toBe(meta);
    expect(b.get(KEY_MEMBER)?.split(" ").slice(0, 3)).toEqual(a.get(KEY_MEMBER)?.split(" ").slice(0, 3));
  });

  it("refuses a wrong key with one line that does not hold the key", () => {
    for (const key of [OTHER_KEY, "SWMKEY-1-not*base64", "cZY/yysS5u+QDTsbfdCXY5PdC7cILbvkdS95o1nB1BE", `${UNLOCK_KEY}=`]) {
      let message = "";
      try {
        unlockBackup(locked, key);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^the unlock key does not open this backup \(.+\)$/);
      expect(message).not.toContain("\n");
      expect(message).not.toContain(key.replace(/^SWMKEY-1-/, "").slice(0, 12));
    }
  });

  it("reads the key as docker swarm unlock does (surrounding whitespace ignored)", () => {
    expect(isLockedBackup(unlockBackup(locked, `  ${UNLOCK_KEY}\n`))).toBe(false);
    expect(parseUnlockKey(UNLOCK_KEY).length).toBe(32);
  });

  it("refuses a backup that is not locked", () => {
    expect(() => unlockBackup(unlockBackup(locked, UNLOCK_KEY), UNLOCK_KEY)).toThrow(/is not encrypted: the backup is not locked/);
  });
});
