/** `GET /` (what the server is, as the official registry answers) and `GET /health`. */
import type { Handler } from '../context.js';
import { sendJson, sendText } from '../respond.js';

export const getRoot: Handler = (ctx) => sendText(ctx.req, ctx.res, 200, ctx.server.serverName);

export const getHealth: Handler = (ctx) => sendJson(ctx.req, ctx.res, 200, JSON.stringify(ctx.server.health()));
