/**
 * components/stacks/secrets.ts: content-hashed names for a stack's secrets and configs, their
 * contents read from files and the environment, the uploads they become, and the compose rendered
 * with them.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseStack } from "../../components/stacks/load";
import { contentHash, objectName, planObjects, readObjectContents } from "../../components/stacks/secrets";
import { deployInputs, type PreparedStack } from "../../components/stacks/deployment";
import { STACK_WITH_OBJECTS } from "../support/stackFiles";
import { tmpTree } from "../support/tmp";

const stackDir = (files: Record<string, string>) => tmpTree(files, "stack-files-");

describe("content-hashed secrets and configs", () => {
  it("names objects <stack>_<key>_<first 8 hex of sha256>", () => {
    expect(contentHash("hello")).toBe("2cf24dba");
    expect(objectName("web", "token", "hello")).toBe("web_token_2cf24dba");
    expect(objectName("web", "token", "hello", "shared_token")).toBe("shared_token_2cf24dba");
  });

  it("reads files relative to the stack file and environment secrets from Pulumi secrets before the environment", () => {
    const dir = stackDir({ "web.yaml": STACK_WITH_OBJECTS, "token.txt": "tok\n", "conf/app.conf": "x=1\n" });
    const { stack } = parseStack(STACK_WITH_OBJECTS, path.join(dir, "web.yaml"));
    const read = readObjectContents(stack, path.join(dir, "web.yaml"), { values: { DB_PASSWORD: "from-config" }, env: { DB_PASSWORD: "from-env" } });
    expect(read.problems).toEqual([]);
    expect(Object.keys(read.contents.secrets).sort()).toEqual(["db", "token"]);
    expect(read.contents.secrets.db.toString()).toBe("from-config");
    expect(read.contents.configs.conf.toString()).toBe("x=1\n");
    expect(readObjectContents(stack, path.join(dir, "web.yaml"), { env: { DB_PASSWORD: "from-env" } }).contents.secrets.db.toString()).toBe("from-env");
  });

  it("reports unreadable files and unset variables with the file and key", () => {
    const dir = stackDir({});
    const { stack } = parseStack(STACK_WITH_OBJECTS, path.join(dir, "web.yaml"));
    const { problems } = readObjectContents(stack, path.join(dir, "web.yaml"), { env: {} });
    expect(problems.map((p) => `${path.basename(p.source)}: ${p.path}`)).toEqual(["web.yaml: secrets.token.file", "web.yaml: secrets.db.environment", "web.yaml: configs.conf.file"]);
    expect(problems[0].message).toContain(`cannot read ${path.join(dir, "token.txt")} (ENOENT)`);
    expect(problems[1].message).toContain("DB_PASSWORD is not set");
  });

  it("renames the objects by content, points file: at the upload and leaves external ones alone", () => {
    const { stack } = parseStack(STACK_WITH_OBJECTS, "web.yaml");
    const contents = { secrets: { token: Buffer.from("tok\n"), db: Buffer.from("pw") }, configs: { conf: Buffer.from("x=1\n") } };
    const planned = planObjects("web", stack, contents);
    expect(planned.problems).toEqual([]);
    const token = `web_token_${contentHash("tok\n")}`;
    const db = `web_db_${contentHash("pw")}`;
    const conf = `web_conf_${contentHash("x=1\n")}`;
    expect(planned.stack.secrets?.token).toMatchObject({ name: token, file: `./${token}` });
    expect(planned.stack.secrets?.db).toMatchObject({ name: db, file: `./${db}`, environment: undefined });
    expect(planned.stack.secrets?.ext).toEqual({ external: true });
    expect(planned.stack.configs?.conf).toMatchObject({ name: conf, file: `./${conf}` });
    expect(planned.uploads).toEqual([
      { kind: "secret", key: "db", name: db, env: "SWARMLAB_STACK_SECRET_0", base64: Buffer.from("pw").toString("base64"), secret: true, redact: "pw" },
      { kind: "secret", key: "token", name: token, env: "SWARMLAB_STACK_SECRET_1", base64: Buffer.from("tok\n").toString("base64"), secret: true, redact: "tok\n" },
      { kind: "config", key: "conf", name: conf, env: "SWARMLAB_STACK_CONFIG_0", base64: Buffer.from("x=1\n").toString("base64"), secret: false },
    ]);
    // a content change rotates the name; the same content keeps it
    expect(planObjects("web", stack, { ...contents, secrets: { ...contents.secrets, token: Buffer.from("tok2\n") } }).stack.secrets?.token.name).not.toBe(token);
    expect(planObjects("web", stack, contents).stack.secrets?.token.name).toBe(token);
  });

  it("refuses names docker would refuse", () => {
    const { stack } = parseStack("services: {a: {image: x, secrets: [s]}}\nsecrets: {s: {file: ./s}}", "web.yaml");
    const long = "x".repeat(60);
    const planned = planObjects(long, stack, { secrets: { s: Buffer.from("1") }, configs: {} }, "web.yaml");
    const name = `${long}_s_6b86b273`;
    expect(planned.problems).toEqual([
      {
        source: "web.yaml",
        path: "secrets.s",
        message: `the secret would be named "${name}" (name or <stack>_<key>, then a hash of its content): expected a secret name of at most 64 characters (swarmkit), got "${name}", 71 characters; use another key or set name:`,
      },
    ]);
    // swarmkit's character rule for secrets and configs ("." allowed, unlike services), named too
    const { stack: odd } = parseStack("services: {a: {image: x, configs: [c]}}\nconfigs: {c: {file: ./c, name: -conf}}", "web.yaml");
    expect(planObjects("web", odd, { secrets: {}, configs: { c: Buffer.from("1") } }, "web.yaml").problems.map((p) => p.message)).toEqual([
      'the config would be named "-conf_6b86b273" (name or <stack>_<key>, then a hash of its content): expected a config name of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (swarmkit), got "-conf_6b86b273"; use another key or set name:',
    ]);
    expect(planObjects("web", parseStack("services: {a: {image: x, configs: [c]}}\nconfigs: {c: {file: ./c, name: app.conf}}", "web.yaml").stack, { secrets: {}, configs: { c: Buffer.from("1") } }, "web.yaml").problems).toEqual([]);
  });

  it("renders the compose with the hashed names and keeps secret content out of it", () => {
    const { stack } = parseStack(STACK_WITH_OBJECTS, "web.yaml");
    const planned = planObjects("web", stack, { secrets: { token: Buffer.from("tok-secret-value"), db: Buffer.from("pw-secret-value") }, configs: { conf: Buffer.from("x=1\n") } });
    const prepared: PreparedStack = { name: "web", file: "web.yaml", stack: planned.stack, uploads: planned.uploads, images: {}, warnings: [] };
    const inputs = deployInputs({ stack: prepared, render: { clusterLabels: { "swarmlab.cluster": "lab" } } });
    const doc = parse(inputs.compose) as { secrets: Record<string, { name: string; file: string; labels: Record<string, string> }> };
    expect(doc.secrets.token).toEqual({ name: `web_token_${contentHash("tok-secret-value")}`, file: `./web_token_${contentHash("tok-secret-value")}`, labels: { "swarmlab.cluster": "lab" } });
    expect(doc.secrets.ext).toEqual({ external: true });
    expect(inputs.compose).not.toContain("secret-value");
    expect(inputs.compose).not.toContain("DB_PASSWORD");
    expect(inputs.secretEnv).toBe(true);
    expect(inputs.redact).toEqual(["pw-secret-value", "tok-secret-value"]);
    expect(Object.keys(inputs.environment)).toEqual(["SWARMLAB_STACK_SECRET_0", "SWARMLAB_STACK_SECRET_1", "SWARMLAB_STACK_CONFIG_0"]);
  });
});
