/**
 * swarmlab's board (images/board, the default visualizer) in a real browser (issue 18): a lab of
 * its own (cluster `board`, 1 manager and 2 workers) with the visualizer enabled and the board's
 * image side-loaded, a whoami service of six replicas, and headless Chromium from Debian's archive
 * (driven by playwright-core) on the board's page. While a worker is drained, its column empties of
 * tasks; while whoami rolls from :latest to :v2 one task at a time, the page shows both tags, the
 * number of v2 tasks growing step by step. Only the page's DOM is asserted on, never the board's
 * JSON. Screenshots go to test/e2e/.work/artifacts/.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropOwnStack, e2eEnabled, eventually, labelledObjects, labImages, ownStack, ROOT, stepTimer, toConfigMap } from "./lab";

const NAME = "board";
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test/e2e/.work/artifacts");
const REPLICAS = 6;
const img = labImages();
const BOARD = img.SWARMLAB_BOARD_IMAGE ?? "swarmlab/board:0.1.0";
const V1 = img.SWARMLAB_WHOAMI_IMAGE ?? "swarmlab/whoami:latest";
const V2 = img.SWARMLAB_WHOAMI_V2_IMAGE ?? "swarmlab/whoami:v2";
const tagOf = (ref: string) => ref.slice(ref.lastIndexOf(":") + 1);

/** What this file needs besides the lab's prerequisites. */
function missing(): string[] {
  const out: string[] = [];
  if (!fs.existsSync(CHROMIUM)) out.push(`Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  try {
    require.resolve("playwright-core");
  } catch {
    out.push("the npm package playwright-core (npm ci)");
  }
  for (const image of [BOARD, V1, V2]) {
    try {
      execFileSync("docker", ["image", "inspect", image], { stdio: "ignore" });
    } catch {
      out.push(`the image ${image} (bash tools/offline/images.sh)`);
    }
  }
  return out;
}

const config = () => ({
  name: NAME,
  hosts: { kind: "docker-lab", image: img.SWARMLAB_NODE_IMAGE, subnet: "172.31.100.0/24" },
  nodes: [
    { name: "manager1", role: "manager" },
    { name: "worker1", role: "worker", labels: { zone: "a" } },
    { name: "worker2", role: "worker", labels: { zone: "b" } },
  ],
  swarm: { readyTimeoutSeconds: 300 },
  images: { sideLoad: [BOARD, V1, V2] },
  visualizer: { enabled: true, image: BOARD, port: 8081 },
});

const manager = (args: string[], timeout = 120_000) =>
  execFileSync("docker", ["exec", `${NAME}-manager1`, "docker", ...args], { encoding: "utf8", timeout }).trim();

/** The task cards of whoami on the page: node, image tag, state, leaving. */
async function cards(page: Page): Promise<{ node: string; tag: string; state: string; leaving: boolean }[]> {
  return page.$$eval('[data-node] .task[data-service="whoami"]', (els) =>
    els.map((e) => ({
      node: e.closest("[data-node]")?.getAttribute("data-node") ?? "",
      tag: e.getAttribute("data-image-tag") ?? "",
      state: e.getAttribute("data-state") ?? "",
      leaving: e.getAttribute("data-leaving") === "true",
    })),
  );
}

/** Polls the page (not the swarm) until check() holds. */
async function onPage<T>(what: string, page: Page, read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`${what}: not seen on the board after ${timeoutMs / 1000} s (last: ${JSON.stringify(last)})`);
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `board-${name}.png`), fullPage: true });

describe.runIf(e2eEnabled(missing()))("the board in a browser: a drain and a rolling update, live", () => {
  let stack: Stack;
  let work = "";
  let browser: BrowserContext | undefined;
  let page: Page;
  let url = "";
  let profile = "";
  const { timings, timed } = stepTimer();

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    ({ stack, work } = await ownStack(NAME));
    await stack.setAllConfig(toConfigMap(config()));
    const res = await timed("up", () => stack.up({ color: "never" }));
    url = (res.outputs.urls?.value as Record<string, string>).visualizer;
    expect(url).toMatch(/^http:\/\/172\.31\.100\.\d+:8081\/$/);
    manager([
      "service", "create", "-d", "--name", "whoami", "--replicas", String(REPLICAS), "--endpoint-mode", "dnsrr",
      "--update-parallelism", "1", "--update-delay", "4s", "--update-order", "stop-first",
      "--label", "traefik.enable=true",
      "--label", "traefik.http.routers.whoami.rule=Host(`whoami.lab.local`)",
      "--label", "traefik.http.routers.whoami.entrypoints=web",
      "--label", "traefik.http.services.whoami.loadbalancer.server.port=80",
      V1,
    ]);
    const { chromium } = await import("playwright-core");
    // a fresh profile (playwright passes it to Chromium as --user-data-dir)
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-board-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      // without the background-networking flags Chromium keeps calling home on a closed network
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    await eventually("the board answers", () => execFileSync("curl", ["-fsS", "-o", "/dev/null", `${url}healthz`]) !== undefined, 180_000);
    await page.goto(url);
  }, 900_000);

  afterAll(async () => {
    console.log(`board e2e timings (s): ${JSON.stringify(timings)}`);
    await browser?.close().catch(() => undefined);
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await dropOwnStack(stack, NAME, work);
    expect(labelledObjects(NAME)).toEqual([]);
  }, 600_000);

  it("shows one column per node (role, leader, availability, labels, Ready), whoami's tasks and its Traefik route", async () => {
    await onPage("six running whoami tasks", page, () => cards(page), (c) => c.filter((t) => t.state === "running").length === REPLICAS);
    const nodes = await page.$$eval("[data-node]", (els) =>
      els.map((e) => {
        const d = (k: string) => e.getAttribute(`data-${k}`);
        return { node: d("node"), role: d("role"), leader: d("leader"), availability: d("availability"), state: d("state"), labels: e.querySelector("[data-labels]")?.getAttribute("data-labels") ?? "" };
      }),
    );
    expect(nodes).toEqual([
      { node: "manager1", role: "manager", leader: "true", availability: "active", state: "ready", labels: "" },
      { node: "worker1", role: "worker", leader: "false", availability: "active", state: "ready", labels: "zone=a" },
      { node: "worker2", role: "worker", leader: "false", availability: "active", state: "ready", labels: "zone=b" },
    ]);
    expect(new Set((await cards(page)).map((c) => c.tag))).toEqual(new Set([tagOf(V1)]));
    // the board itself is a task on the manager
    expect(await page.$$eval('[data-node="manager1"] .task[data-service="swarmlab-visualizer_visualizer"]', (e) => e.length)).toBe(1);
    const route = await page.$eval('#routes [data-router="whoami"]', (e) => ({ service: e.getAttribute("data-service"), text: e.textContent }));
    expect(route.service).toBe("whoami");
    expect(route.text).toContain("Host(`whoami.lab.local`)");
    await shot(page, "1-start");
  }, 300_000);

  it("during a drain, the drained node's column empties of tasks, live (no reload)", async () => {
    const before = await cards(page);
    expect(before.filter((c) => c.node === "worker1").length).toBeGreaterThan(0);
    await page.evaluate("window.__sameLoad = true"); // gone if the page reloads
    await timed("drain", async () => {
      manager(["node", "update", "--availability", "drain", "worker1"]);
      await onPage(
        "worker1 drained and empty",
        page,
        async () => ({
          availability: await page.getAttribute('[data-node="worker1"]', "data-availability"),
          tasks: await page.$$eval('[data-node="worker1"] .task', (e) => e.length),
        }),
        (v) => v.availability === "drain" && v.tasks === 0,
      );
    });
    await onPage("whoami back to six running tasks, none on worker1", page, () => cards(page), (c) => c.filter((t) => t.state === "running" && !t.leaving).length === REPLICAS);
    expect((await cards(page)).filter((c) => c.node === "worker1")).toEqual([]);
    expect(await page.evaluate("window.__sameLoad === true")).toBe(true);
    await shot(page, "2-drained");
    manager(["node", "update", "--availability", "active", "worker1"]);
    await onPage("worker1 active again", page, () => page.getAttribute('[data-node="worker1"]', "data-availability"), (a) => a === "active");
  }, 300_000);

  it("during a rolling update (parallelism 1, 4 s apart), the image tags change batch by batch", async () => {
    const v1 = tagOf(V1);
    const v2 = tagOf(V2);
    manager(["service", "update", "-d", "--image", V2, "whoami"]);
    const seen: number[] = []; // running v2 tasks, at each look
    let mixedShot = false;
    await timed("rolling update", () =>
      onPage(
        "every whoami task on v2",
        page,
        () => cards(page),
        (c) => {
          const tags = new Set(c.map((t) => t.tag));
          const running2 = c.filter((t) => t.tag === v2 && t.state === "running" && !t.leaving).length;
          if (seen[seen.length - 1] !== running2) seen.push(running2);
          if (tags.has(v1) && tags.has(v2) && running2 >= 2 && !mixedShot) {
            mixedShot = true;
            void shot(page, "3-rolling");
          }
          return running2 === REPLICAS && !tags.has(v1);
        },
        300_000,
      ),
    );
    console.log(`running v2 tasks as the board showed them: ${seen.join(" -> ")}`);
    expect(mixedShot).toBe(true); // a moment with both tags on the page
    // one batch at a time: never down, and several steps between none and all
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.filter((n) => n > 0 && n < REPLICAS).length).toBeGreaterThanOrEqual(3);
    await shot(page, "4-updated");
    expect(fs.existsSync(path.join(ARTIFACTS, "board-3-rolling.png"))).toBe(true);
  }, 400_000);
});
