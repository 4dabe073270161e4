/** `GET /` (what the server is, as the official registry answers) and `GET /health`. */
import type { Authenticator } from '../auth.js';
import type { Handler, HealthReport } from '../context.js';
import { HttpError } from '../http-error.js';
import { sendJson, sendText } from '../respond.js';
import { redact } from '../../redact.js';

export const getRoot: Handler = (ctx) => sendText(ctx.req, ctx.res, 200, ctx.server.serverName);

/**
 * The state of this replica for load balancers and people. On a registry whose reads need
 * a token, only `{"status"}` is shown without one: the commit and package count are the
 * private registry's business. `?max-stale=<seconds>` answers 503 when the index has not
 * been in step with origin for longer, so a load balancer can take a stale replica out.
 */
export const getHealth: Handler = async (ctx) => {
  const report = ctx.server.health();
  const maxStale = maxStaleSeconds(ctx.query.get('max-stale'));
  const status = maxStale !== null && report.staleSeconds > maxStale ? 503 : 200;
  const full = !ctx.server.auth.readNeedsAuth || (await mayRead(ctx.server.auth, ctx.req.headers.authorization, ctx.req.socket.remoteAddress));
  const body: Partial<HealthReport> = full ? { ...report, refreshError: report.refreshError === null ? null : redact(report.refreshError) } : { status: report.status };
  sendJson(ctx.req, ctx.res, status, JSON.stringify(body));
};

async function mayRead(auth: Authenticator, header: string | undefined, client: string | undefined): Promise<boolean> {
  if (header === undefined) return false;
  try {
    return (await auth.forRead(header, client)) !== null;
  } catch {
    // throttled, or GitHub cannot say: the minimal answer still serves the load balancer
    return false;
  }
}

function maxStaleSeconds(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new HttpError(400, `max-stale: "${value.slice(0, 50)}" is not a number of seconds`);
  return seconds;
}
