/** The web pages' view of the index's URLs (computed in `index-repo/index-address.ts`). */
import { clientIndexUrl as clientUrl, isOwnIndexUrl } from '../../index-repo/index-address.js';
import type { ServerContext } from '../context.js';

const address = (server: ServerContext) => ({ remote: server.write.index.remote, named: server.write.ownIndexUrls });

export const clientIndexUrl = (server: ServerContext): string => clientUrl(address(server), server.state().config.api);

export const isOwnIndex = (server: ServerContext, index: string): boolean => isOwnIndexUrl(address(server), server.state().config.api, index);
