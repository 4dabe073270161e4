/**
 * What a page is given and what it gives back. Pages build their content and throw
 * HttpError for 4xx answers; web-routes.ts wraps the content in the layout, sends it with
 * the page headers and turns errors into error pages, so each page file is only content.
 */
import type { IncomingMessage } from 'node:http';
import type { ServerContext } from '../context.js';
import type { SafeHtml } from './html.js';

export interface PageRequest {
  server: ServerContext;
  req: IncomingMessage;
  /** path parameters, already percent-decoded */
  params: Record<string, string>;
  query: URLSearchParams;
  /** came with the login cookie (shows "Log out") */
  signedIn: boolean;
}

export interface PageContent {
  status?: number;
  title: string;
  body: SafeHtml;
  /** what the header's search box shows */
  query?: string;
  /**
   * Everything the body depends on, when it is known (package file blob, version, target,
   * README hash, …): the finished page is then kept and served again for the same key.
   */
  cacheKey?: string;
}

export type PageHandler = (page: PageRequest) => Promise<PageContent> | PageContent;
