/** Whether a URL answers, and with which HTTP status. */
import * as http from "http";
import * as https from "https";
import * as net from "net";

export interface Probe {
  url: string;
  /** Connect here instead of the URL's host, sending the URL's host as `Host` (a Traefik route whose name is not in DNS). */
  connectTo?: string;
  /** PEM of a CA to verify HTTPS against (the registry's own). */
  ca?: string;
  /** HTTPS without verifying the certificate (Traefik's default certificate, a staging ACME one). */
  insecure?: boolean;
}

/** The status code as text, or `no answer (refused|timeout|...)`. Never throws. */
export function httpStatus(probe: Probe, timeoutMs = 3000): Promise<string> {
  const u = new URL(probe.url);
  const secure = u.protocol === "https:";
  const options: https.RequestOptions = {
    host: probe.connectTo ?? u.hostname,
    port: u.port || (secure ? 443 : 80),
    path: `${u.pathname}${u.search}`,
    headers: { Host: u.host },
    timeout: timeoutMs,
  };
  if (secure) {
    if (!net.isIP(u.hostname)) options.servername = u.hostname;
    if (probe.ca) options.ca = probe.ca;
    if (probe.insecure) options.rejectUnauthorized = false;
  }
  return new Promise((done) => {
    const req = (secure ? https : http).get(options, (res) => {
      res.resume();
      done(String(res.statusCode));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "TIMEOUT" ? "timeout" : e.code === "ECONNREFUSED" ? "refused" : (e.code ?? e.message);
      done(`no answer (${why})`);
    });
  });
}
