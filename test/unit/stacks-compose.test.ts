/**
 * components/stacks/compose.ts: a stack file rendered as the compose file `docker stack deploy`
 * gets (stable output, normalisation, Traefik labels from x-swarmlab.expose, the cluster's
 * defaults, images and labels), and the stack name rule.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type RenderOptions, renderCompose, traefikLabels, validateStackName } from "../../components/stacks/compose";
import { loadStackFile, parseStack } from "../../components/stacks/load";

const SRC = "stacks/web.yaml";
type Doc = { version: string; services: Record<string, any>; networks?: Record<string, any>; volumes?: Record<string, any>; secrets?: Record<string, any> };

function render(text: string, opts: Partial<RenderOptions> = {}): string {
  return renderCompose(parseStack(text, SRC).stack, { name: "web", source: SRC, traefikNetwork: "traefik-public", ...opts });
}
function renderDoc(text: string, opts: Partial<RenderOptions> = {}): Doc {
  return parse(render(text, opts)) as Doc;
}

describe("renderCompose: stable output", () => {
  const a = `
version: "3.8"
services:
  web:
    image: nginx
    environment: {B: "2", A: "1"}
    deploy: {replicas: 2, labels: [z=1, a=2]}
    ports: ["8080:80"]
  api:
    deploy: {labels: [a=2, z=1], replicas: 2}
    ports: [{published: 8080, target: 81, protocol: udp}]
    image: api
`;
  const b = `
services:
  api:
    image: api
    ports: [{target: 81, protocol: udp, published: 8080}]
    deploy: {replicas: 2, labels: {z: "1", a: "2"}}
  web:
    ports: ["8080:80"]
    deploy: {labels: {a: "2", z: "1"}, replicas: 2}
    environment: [A=1, B=2]
    image: nginx
`;

  it("renders the same input to the same bytes", () => {
    expect(render(a)).toBe(render(a));
  });

  it("does not depend on the key order or the syntax of the input", () => {
    expect(render(b)).toBe(render(a));
  });

  it("sorts keys and keeps list order", () => {
    expect(render("services: {web: {image: nginx, command: [b, a], environment: [Z=1, A=2]}}")).toBe(
      ["services:", "  web:", "    command:", "      - b", "      - a", "    environment:", '      A: "2"', '      Z: "1"', "    image: nginx", 'version: "3.9"', ""].join("\n"),
    );
  });

  it("renders the shipped whoami stack exactly", () => {
    const loaded = loadStackFile(path.resolve(__dirname, "../../stacks/whoami.yaml"));
    expect(renderCompose(loaded.stack, { name: loaded.name, traefikNetwork: "traefik-public", traefikEntrypoint: "web" })).toBe(`networks:
  traefik-public:
    external: true
services:
  whoami:
    deploy:
      labels:
        traefik.enable: "true"
        traefik.http.routers.whoami_whoami.entrypoints: web
        traefik.http.routers.whoami_whoami.rule: Host(\`whoami.lab.local\`)
        traefik.http.services.whoami_whoami.loadbalancer.server.port: "80"
        traefik.swarm.network: traefik-public
      replicas: 3
      restart_policy:
        condition: any
        delay: 2s
      update_config:
        delay: 5s
        order: start-first
        parallelism: 1
    image: traefik/whoami
    networks:
      default: null
      traefik-public: null
version: "3.9"
`);
  });

  it("renders every shipped stack", () => {
    for (const file of ["visualizer.yaml", "vote.yaml"]) {
      const loaded = loadStackFile(path.resolve(__dirname, "../../stacks", file));
      const doc = parse(renderCompose(loaded.stack, { name: loaded.name, traefikNetwork: "traefik-public" })) as Doc;
      expect(doc.version).toBe("3.9");
    }
  });
});

describe("renderCompose: normalisation", () => {
  it("turns short port syntax into long syntax, ranges expanded", () => {
    const doc = renderDoc('services: {web: {image: x, ports: [53, "8080:80", "9000-9001:7000-7001/udp", "127.0.0.1:5000:5000"]}}');
    expect(doc.services.web.ports).toEqual([
      { mode: "ingress", protocol: "tcp", target: 53 },
      { mode: "ingress", protocol: "tcp", published: 8080, target: 80 },
      { mode: "ingress", protocol: "udp", published: 9000, target: 7000 },
      { mode: "ingress", protocol: "udp", published: 9001, target: 7001 },
      { mode: "ingress", protocol: "tcp", published: 5000, target: 5000 },
    ]);
  });

  it("turns environment, labels and sysctls into mappings of strings, extra_hosts into a list", () => {
    const doc = renderDoc("services: {web: {image: x, environment: [A=1, B, C=x=y], labels: {n: 5, t: true}, sysctls: [net.core.somaxconn=1024], extra_hosts: {db: 10.0.0.5}}}");
    expect(doc.services.web.environment).toEqual({ A: "1", B: null, C: "x=y" });
    expect(doc.services.web.labels).toEqual({ n: "5", t: "true" });
    expect(doc.services.web.sysctls).toEqual({ "net.core.somaxconn": "1024" });
    expect(doc.services.web.extra_hosts).toEqual(["db:10.0.0.5"]);
  });

  it("turns short volumes, secrets and configs into long syntax", () => {
    const doc = renderDoc(`
services:
  web:
    image: x
    volumes: ["data:/data:nocopy", "/etc/hosts:/etc/hosts:ro", "/:/host:ro,rslave", /anon]
    secrets: [token, {source: key, target: /k, mode: 0400}]
    configs: [conf]
volumes: {data: }
secrets: {token: {external: true}, key: {file: ./key}}
configs: {conf: {file: ./conf}}
`);
    expect(doc.services.web.volumes).toEqual([
      { type: "volume", source: "data", target: "/data", volume: { nocopy: true } },
      { type: "bind", source: "/etc/hosts", target: "/etc/hosts", read_only: true },
      { type: "bind", source: "/", target: "/host", read_only: true, bind: { propagation: "rslave" } },
      { type: "volume", target: "/anon" },
    ]);
    expect(doc.services.web.secrets).toEqual([{ source: "token" }, { source: "key", target: "/k", mode: 0o400 }]);
    expect(doc.services.web.configs).toEqual([{ source: "conf" }]);
    expect(doc.volumes).toEqual({ data: {} });
  });

  it("drops ignored keys, x-* keys, the name and the input version; renders cpus as text", () => {
    const doc = renderDoc(`
version: "3.1"
name: shop
x-common: {a: 1}
services:
  web: {image: x, depends_on: [db], restart: always, x-owner: me, deploy: {resources: {limits: {cpus: 0.5}}}}
  db: {image: postgres, container_name: db}
`);
    expect(doc).toEqual({
      version: "3.9",
      services: { web: { image: "x", deploy: { resources: { limits: { cpus: "0.5" } } } }, db: { image: "postgres" } },
    });
  });

  it("turns external: {name} into external: true with a name", () => {
    const doc = renderDoc("services: {web: {image: x, networks: [pub]}}\nnetworks: {pub: {external: {name: public}}}");
    expect(doc.networks).toEqual({ pub: { external: true, name: "public" } });
  });
});

describe("renderCompose: Traefik from x-swarmlab.expose", () => {
  const exposed = (expose: string, rest = "") => `services:\n  api:\n    image: api\n${rest}    x-swarmlab: {expose: ${expose}}\n`;

  it("labels the service for Traefik v3 and attaches it to the external Traefik network", () => {
    const doc = renderDoc(exposed("{host: api.lab.local, port: 8080, path: /v1, entrypoint: websecure}"), { traefikEntrypoint: "web" });
    expect(doc.services.api.deploy.labels).toEqual({
      "traefik.enable": "true",
      "traefik.swarm.network": "traefik-public",
      "traefik.http.routers.web_api.rule": "Host(`api.lab.local`) && PathPrefix(`/v1`)",
      "traefik.http.routers.web_api.entrypoints": "websecure",
      "traefik.http.services.web_api.loadbalancer.server.port": "8080",
    });
    expect(doc.services.api.networks).toEqual({ default: null, "traefik-public": null });
    expect(doc.networks).toEqual({ "traefik-public": { external: true } });
  });

  it("adds sticky-session labels named after the stack and service", () => {
    expect(traefikLabels("shop", "cart", { host: "cart.lab.local", port: 80, sticky: true }, { network: "traefik-public" })).toEqual({
      "traefik.enable": "true",
      "traefik.swarm.network": "traefik-public",
      "traefik.http.routers.shop_cart.rule": "Host(`cart.lab.local`)",
      "traefik.http.services.shop_cart.loadbalancer.server.port": "80",
      "traefik.http.services.shop_cart.loadbalancer.sticky.cookie": "true",
      "traefik.http.services.shop_cart.loadbalancer.sticky.cookie.name": "shop_cart",
    });
  });

  it("with tls, routes HTTPS on websecure with the cluster's ACME resolver and redirects HTTP to it", () => {
    const labels = traefikLabels("shop", "cart", { host: "cart.example.org", port: 80, tls: true, sticky: true }, { network: "edge", certResolver: "le" });
    expect(labels).toEqual({
      "traefik.enable": "true",
      "traefik.swarm.network": "edge",
      "traefik.http.routers.shop_cart.rule": "Host(`cart.example.org`)",
      "traefik.http.routers.shop_cart.entrypoints": "websecure",
      "traefik.http.routers.shop_cart.tls": "true",
      "traefik.http.routers.shop_cart.tls.certresolver": "le",
      "traefik.http.routers.shop_cart-http.rule": "Host(`cart.example.org`)",
      "traefik.http.routers.shop_cart-http.entrypoints": "web",
      "traefik.http.routers.shop_cart-http.middlewares": "shop_cart-https",
      "traefik.http.routers.shop_cart-http.service": "shop_cart",
      "traefik.http.middlewares.shop_cart-https.redirectscheme.scheme": "https",
      "traefik.http.middlewares.shop_cart-https.redirectscheme.permanent": "true",
      "traefik.http.services.shop_cart.loadbalancer.server.port": "80",
      "traefik.http.services.shop_cart.loadbalancer.sticky.cookie": "true",
      "traefik.http.services.shop_cart.loadbalancer.sticky.cookie.name": "shop_cart",
      "traefik.http.services.shop_cart.loadbalancer.sticky.cookie.secure": "true",
    });
  });

  it("with tls and no ACME resolver, uses Traefik's default certificate; an explicit entrypoint still wins", () => {
    const labels = traefikLabels("shop", "cart", { host: "cart.lab.local", port: 80, tls: true, entrypoint: "internal" }, { network: "edge", entrypoint: "web" });
    expect(labels["traefik.http.routers.shop_cart.entrypoints"]).toBe("internal");
    expect(labels["traefik.http.routers.shop_cart.tls"]).toBe("true");
    expect(Object.keys(labels).filter((k) => k.includes("certresolver"))).toEqual([]);
    const plain = traefikLabels("shop", "cart", { host: "cart.lab.local", port: 80 }, { network: "edge", certResolver: "le" });
    expect(Object.keys(plain).filter((k) => k.includes("tls") || k.includes("-http"))).toEqual([]);
  });

  it("keeps the service's own networks and deploy labels", () => {
    const doc = renderDoc(`${exposed("{host: a.lab.local, port: 80}", "    networks: [back]\n    deploy: {labels: [team=shop]}\n")}networks: {back: }\n`);
    expect(doc.services.api.networks).toEqual({ back: null, "traefik-public": null });
    expect(doc.services.api.deploy.labels.team).toBe("shop");
    expect(doc.networks).toEqual({ back: {}, "traefik-public": { external: true } });
  });

  it("refuses to expose without a Traefik network, or when the file declares it as the stack's own", () => {
    expect(() => render(exposed("{host: a.lab.local, port: 80}"), { traefikNetwork: undefined })).toThrowError(
      "stacks/web.yaml: x-swarmlab.expose needs the cluster's Traefik network (traefikNetwork) to attach services to",
    );
    expect(() => render(`${exposed("{host: a.lab.local, port: 80}")}networks: {traefik-public: {driver: overlay}}\n`)).toThrowError(
      "stacks/web.yaml: networks.traefik-public: expected external: true (it is the Traefik network, created by the cluster, not by this stack)",
    );
  });
});

describe("renderCompose: cluster defaults (no IPVS: dnsrr + host publishing)", () => {
  const text = `
services:
  plain: {image: x, ports: ["8080:80"]}
  mesh: {image: x, ports: [{target: 81, published: 8081, mode: ingress}]}
  own: {image: x, ports: ["8082:82"], deploy: {endpoint_mode: vip}}
`;

  it("leaves the swarm defaults alone when no defaults are given", () => {
    const doc = renderDoc(text);
    expect(doc.services.plain.deploy).toBeUndefined();
    expect(doc.services.plain.ports[0].mode).toBe("ingress");
  });

  it("with dnsrr, publishes in host mode (docker refuses dnsrr with ingress ports)", () => {
    const doc = renderDoc(text, { defaults: { endpointMode: "dnsrr" } });
    expect(doc.services.plain).toEqual({ image: "x", deploy: { endpoint_mode: "dnsrr" }, ports: [{ mode: "host", protocol: "tcp", published: 8080, target: 80 }] });
    expect(doc.services.mesh.deploy).toBeUndefined();
    expect(doc.services.mesh.ports[0].mode).toBe("ingress");
    expect(doc.services.own.deploy).toEqual({ endpoint_mode: "vip" });
    expect(doc.services.own.ports[0].mode).toBe("ingress");
  });

  it("with host publishing, publishes ports without a mode on the node", () => {
    const doc = renderDoc(text, { defaults: { endpointMode: "dnsrr", publishMode: "host" } });
    expect(doc.services.own.ports[0].mode).toBe("host");
    expect(doc.services.mesh.ports[0].mode).toBe("ingress");
  });

  it("pins services whose ports end up in host mode to the node the URLs point at (hostPortsOn), and only those", () => {
    const pinned = renderDoc('services: {edge: {image: x, ports: ["80:80"], deploy: {placement: {constraints: ["node.role == manager"]}}}, quiet: {image: x}}', {
      defaults: { endpointMode: "dnsrr", publishMode: "host" },
      hostPortsOn: "manager1",
    });
    expect(pinned.services.edge.deploy.placement).toEqual({ constraints: ["node.role == manager", "node.hostname == manager1"] });
    expect(pinned.services.quiet.deploy).toEqual({ endpoint_mode: "dnsrr" });
    const mesh = renderDoc('services: {edge: {image: x, ports: ["80:80"]}}', { defaults: { publishMode: "ingress" }, hostPortsOn: "manager1" });
    expect(mesh.services.edge.deploy).toBeUndefined();
    const already = renderDoc('services: {edge: {image: x, ports: ["80:80"], deploy: {placement: {constraints: ["node.hostname == manager1"]}}}}', {
      defaults: { publishMode: "host" },
      hostPortsOn: "manager1",
    });
    expect(already.services.edge.deploy.placement.constraints).toEqual(["node.hostname == manager1"]);
  });

  it("keeps a service's own dnsrr and turns its unmoded ports to host mode", () => {
    const doc = renderDoc('services: {db: {image: x, ports: ["5432:5432"], deploy: {endpoint_mode: dnsrr}}}');
    expect(doc.services.db.ports[0].mode).toBe("host");
  });
});

describe("renderCompose: images and labels", () => {
  const text = "services: {web: {image: nginx}, api: {image: shop/api}, worker: {image: shop/api}, app: {build: .}}";
  const images = { web: "registry.lab:5000/nginx:1", "shop/api": "registry.lab:5000/shop/api:abc", app: "registry.lab:5000/app:1" };

  it("overrides images by service name first, then by original reference", () => {
    const doc = renderDoc(text, { images: { ...images, worker: "registry.lab:5000/worker:2" } });
    expect(doc.services.web.image).toBe("registry.lab:5000/nginx:1");
    expect(doc.services.api.image).toBe("registry.lab:5000/shop/api:abc");
    expect(doc.services.worker.image).toBe("registry.lab:5000/worker:2");
    expect(doc.services.app).toEqual({ image: "registry.lab:5000/app:1" });
  });

  it("refuses a service that only has build and no override", () => {
    expect(() => render(text)).toThrowError(
      "stacks/web.yaml: services.app.image: is required: docker stack deploy does not build images (build the image and name it, or pass an image override)",
    );
  });

  it("puts cluster labels on services and on the objects the stack creates, not on external ones", () => {
    const doc = renderDoc(
      "services: {web: {image: x, volumes: [data:/d], deploy: {labels: {swarmlab.cluster: mine, own: y}}}}\nvolumes: {data: {labels: [a=b]}, old: {external: true}}\nnetworks: {n: }",
      { clusterLabels: { "swarmlab.cluster": "lab", "swarmlab.stack": "web" } },
    );
    expect(doc.services.web.deploy.labels).toEqual({ own: "y", "swarmlab.cluster": "lab", "swarmlab.stack": "web" });
    expect(doc.volumes).toEqual({ data: { labels: { a: "b", "swarmlab.cluster": "lab", "swarmlab.stack": "web" } }, old: { external: true } });
    expect(doc.networks).toEqual({ n: { labels: { "swarmlab.cluster": "lab", "swarmlab.stack": "web" } } });
  });
});

describe("validateStackName", () => {
  it("accepts docker stack names and rejects the rest", () => {
    expect(validateStackName("vote_2-a", "cfg")).toBe("vote_2-a");
    expect(() => validateStackName("-vote", "Pulumi.dev.yaml")).toThrowError(
      'Pulumi.dev.yaml: name: expected a stack name of lower-case letters, digits, _ and - (starting with a letter or digit), got "-vote"',
    );
    expect(() => renderCompose(parseStack("services: {a: {image: x}}", SRC).stack, { name: "Web" })).toThrowError(/got "Web"/);
  });
});

describe("the cluster's overlay MTU (defaults.overlayMtu)", () => {
  const text = [
    "services:",
    "  api: {image: api, networks: [back, shared]}",
    "  web: {image: web}",
    "networks:",
    "  back: {}",
    "  shared: {external: true}",
    "  tuned: {driver_opts: {com.docker.network.driver.mtu: '9000'}}",
    "",
  ].join("\n");

  it("goes on the overlay networks the stack creates, and on the implicit default one a service uses", async () => {
    const doc = parse(render(text, { defaults: { overlayMtu: 1400 } })) as Doc;
    expect(doc.networks?.back.driver_opts).toEqual({ "com.docker.network.driver.mtu": "1450" });
    expect(doc.networks?.default).toEqual({ driver_opts: { "com.docker.network.driver.mtu": "1450" } });
    // not on a network made elsewhere, nor on one that sets the option itself
    expect(doc.networks?.shared).toEqual({ external: true });
    expect(doc.networks?.tuned.driver_opts).toEqual({ "com.docker.network.driver.mtu": "9000" });
  });

  it("without one, the file is as before", async () => {
    expect(render(text, { defaults: {} })).toBe(render(text));
    expect(render(text)).not.toMatch(/default:/);
    expect(render(text).match(/driver\.mtu/g)).toHaveLength(1); // tuned's own
  });
});
