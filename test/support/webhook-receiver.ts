// A webhook receiver for the event tests: a real HTTP server that keeps every POST it was sent, and
// can go down and come back on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  event: { id: string; 'detail-type': string; detail: Record<string, string>; [k: string]: unknown };
}

export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private server: http.Server | undefined;
  /** The status code answered (200 unless a test says otherwise) and how long an answer takes. */
  status = 200;
  delayMs = 0;
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async listen(port = this.port): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const answer = () => {
          if (this.status >= 200 && this.status < 300) this.deliveries.push({ headers: req.headers, body, event: JSON.parse(body) });
          res.writeHead(this.status).end();
        };
        if (this.delayMs) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops answering: connections are refused until listen() again. */
  async close() {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The events received, without repeats (a redelivered event keeps its id). */
  events() {
    const seen = new Set<string>();
    return this.deliveries.map((d) => d.event).filter((e) => !seen.has(e.id) && seen.add(e.id));
  }
}
