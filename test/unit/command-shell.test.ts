/**
 * components/command/shell.ts: the shell helpers the scripts share (waitUntil, run by bash; the
 * key=value parser).
 */
import { describe, expect, it } from "vitest";
import { parseKeyValues, waitUntil } from "../../components/command/shell";
import { runBash } from "../support/fakes";

describe("waitUntil", () => {
  const bash = (script: string) => runBash(script);

  it("stops polling as soon as the condition holds", () => {
    const r = bash(`n=0\n${waitUntil("n=$((n + 1)); [ $n -ge 3 ]", 30)}\necho "polls=$n"`);
    expect(r.stdout.trim()).toBe("polls=3");
  });

  it("gives up at the deadline and lets the script report it (strict mode does not abort the loop)", () => {
    const r = bash(`${waitUntil("false", 0)}\necho gave-up`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("gave-up");
  });
});

describe("parseKeyValues", () => {
  it("parses a script's key=value lines, splitting at the first '=' and ignoring other lines", async () => {
    expect(parseKeyValues("worker=SWMTKN-1-aaa-bbb\nmanager=SWMTKN-1-aaa-ccc\nnode=n1\n")).toEqual({ worker: "SWMTKN-1-aaa-bbb", manager: "SWMTKN-1-aaa-ccc", node: "n1" });
    expect(parseKeyValues("Swarm initialized\n a = b=c \n=nokey\n\n")).toEqual({ a: "b=c" });
    expect(parseKeyValues("")).toEqual({});
  });
});
