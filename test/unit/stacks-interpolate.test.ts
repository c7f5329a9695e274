/**
 * components/stacks/interpolate.ts: compose's ${VAR} interpolation (substitute, interpolateStack,
 * escapeDollars) and stack files that use it, rendered.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { renderCompose } from "../../components/stacks/compose";
import { escapeDollars, interpolateStack, substitute } from "../../components/stacks/interpolate";
import { parseStack } from "../../components/stacks/load";

const ENV = { TAG: "1.4", EMPTY: "", REPLICAS: "4", PORT: "8080", RO: "true", DB_PASSWORD: "hunter2-secret" };

describe("substitute: the compose interpolation syntax", () => {
  it.each([
    ["app:${TAG}", "app:1.4"],
    ["app:$TAG", "app:1.4"],
    ["${MISSING:-latest}", "latest"],
    ["${EMPTY:-latest}", "latest"],
    ["${EMPTY-latest}", ""],
    ["${MISSING-latest}", "latest"],
    ["${TAG:+set}", "set"],
    ["${EMPTY:+set}", ""],
    ["${EMPTY+set}", "set"],
    ["${MISSING:-${TAG}}", "1.4"],
    ["cost: $$5", "cost: $5"],
    ["$${TAG}", "${TAG}"],
    ["no dollars", "no dollars"],
  ])("%s -> %s", (text, value) => {
    const s = substitute(text, ENV);
    expect(s.error).toBeUndefined();
    expect(s.value).toBe(value);
  });

  it("reports unset variables (they become empty, as in docker) and malformed or required ones", () => {
    expect(substitute("x${NOPE}y", ENV)).toMatchObject({ value: "xy", unset: ["NOPE"] });
    expect(substitute("${NOPE:?set it in your shell}", ENV).error).toBe("required variable NOPE is missing a value: set it in your shell");
    expect(substitute("${EMPTY?}", ENV).error).toBeUndefined();
    expect(substitute("${EMPTY:?}", ENV).error).toBe("required variable EMPTY is missing a value");
    expect(substitute("${TAG", ENV).error).toBe('invalid interpolation format "${TAG": a "${" without its "}" (write $$ for a literal $)');
    expect(substitute("price $5", ENV).error).toBe('invalid interpolation format "$5": a "$" must start a variable (write $$ for a literal $)');
    expect(substitute("${1X}", ENV).error).toBe('invalid interpolation format "${1X}": expected ${NAME}, ${NAME:-default} or ${NAME:?error}');
    expect(substitute("${TAG/x/y}", ENV).error).toBe('invalid interpolation format "${TAG/x/y}": expected ${NAME}, ${NAME:-default} or ${NAME:?error}');
  });
});

describe("interpolateStack", () => {
  it("interpolates values, never keys, and casts where the format wants a number or a boolean", () => {
    const doc = { services: { "${TAG}": { image: "app:${TAG}", deploy: { replicas: "${REPLICAS}" }, ports: [{ target: "${PORT}" }], read_only: "${RO}", environment: { PORT: "${PORT}" } } } };
    const out = interpolateStack(doc, ENV);
    expect(out.doc).toEqual({ services: { "${TAG}": { image: "app:1.4", deploy: { replicas: 4 }, ports: [{ target: 8080 }], read_only: true, environment: { PORT: "8080" } } } });
    expect(out.problems).toEqual([]);
  });

  it("warns about unset variables and about secrets put in the definition, with their paths", () => {
    const out = interpolateStack({ services: { db: { image: "pg:${PG}", environment: ["POSTGRES_PASSWORD=${DB_PASSWORD}"] } } }, ENV);
    expect(out.warnings).toEqual([
      { path: ["services", "db", "image"], message: "the variable PG is not set: it becomes an empty string (as docker stack deploy does)" },
      {
        path: ["services", "db", "environment", 0],
        message: "${DB_PASSWORD} puts its value in the stack's definition (Pulumi state, docker service inspect): pass secrets as swarm secrets (top-level secrets with environment: DB_PASSWORD)",
      },
    ]);
  });

  it("escapeDollars doubles every $ of every string value", () => {
    expect(escapeDollars({ a: ["$x", "$$"], b: 1, c: null })).toEqual({ a: ["$$x", "$$$$"], b: 1, c: null });
  });
});

describe("stack files with ${VAR}", () => {
  const text = `
services:
  web:
    image: "nginx:\${TAG:-latest}"
    command: ["sh", "-c", "echo $$HOME"]
    deploy:
      replicas: \${REPLICAS}
`;

  it("load with the variables of the environment, and render with $ kept literal for docker's own pass", () => {
    const loaded = parseStack(text, "stacks/web.yaml", { env: ENV });
    expect(loaded.stack.services.web.image).toBe("nginx:1.4");
    expect(loaded.stack.services.web.deploy?.replicas).toBe(4);
    const doc = parse(renderCompose(loaded.stack, { name: "web" })) as { services: { web: { command: string[] } } };
    // docker turns $$ back into $: the container gets "echo $HOME", as it would from docker stack deploy
    expect(doc.services.web.command).toEqual(["sh", "-c", "echo $$HOME"]);
  });

  it("take defaults when a variable is unset, and report a required one with file and path, with the other problems", () => {
    expect(parseStack(text, "stacks/web.yaml", { env: { REPLICAS: "2" } }).stack.services.web.image).toBe("nginx:latest");
    const bad = "services: {web: {image: '${IMAGE:?name the image}', deploy: {replicas: lots}}}";
    let error: ConfigError | undefined;
    try {
      parseStack(bad, "stacks/web.yaml", { env: {} });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.message).toBe(
      [
        "stacks/web.yaml: services.web.image: required variable IMAGE is missing a value: name the image",
        'stacks/web.yaml: services.web.deploy.replicas: expected a number, got "lots"',
      ].join("\n"),
    );
  });

  it("without an environment (system stacks) leave the text alone", () => {
    expect(parseStack("services: {web: {image: 'a:${TAG}'}}", "x.yaml").stack.services.web.image).toBe("a:${TAG}");
  });
});
