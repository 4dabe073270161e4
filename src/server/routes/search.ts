/** `GET /v1/search?query=&offset=`: 50 packages a page, each as its newest unyanked version. */
import type { Handler } from '../context.js';
import { HttpError } from '../http-error.js';
import { sendJson } from '../respond.js';

export const searchPackages: Handler = (ctx) => {
  const query = ctx.query.get('query') ?? '';
  const offset = parseOffset(ctx.query.get('offset'));
  const state = ctx.server.state();
  const page = state.search.search(query, offset);
  const data: string[] = [];
  for (const id of page.ids) {
    const record = state.packages.get(id);
    if (record?.searchable) data.push(record.versionJsonText(record.searchable));
  }
  sendJson(ctx.req, ctx.res, 200, `{"data":[${data.join(',')}],"count":${page.count}}`);
};

function parseOffset(raw: string | null): number {
  if (raw === null) return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `offset must be a whole number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}
