/**
 * Trust rules in the registry's storage, beside the token store: one object per rule, so
 * two admins adding rules at once write two objects. A rule publishes as a user the token
 * store already knows (users are the names and ids their tokens carry), so an id that
 * owns scopes is never invented here.
 */
import { RegistryError, usageError } from '../errors.js';
import { parseScopeName } from '../index-repo/scope-owners.js';
import type { Storage } from '../storage/storage.js';
import { byCreation, readSmallObject, TokenStore } from '../tokens/token-store.js';
import { UserDirectory } from '../tokens/user-directory.js';
import { CorruptRecord } from '../tokens/token-record.js';
import { isRuleId, newRuleId, parseTrustRule, ruleIdOfKey, ruleKey, TRUST_FORMAT, TRUST_PREFIX, type TrustRule } from './trust-rule.js';

/** What `trust add` is given; the store adds the id, the user's id and the time. */
export type NewTrustRule = Omit<TrustRule, 'format' | 'id' | 'userId' | 'createdAt'>;

const REPOSITORY = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

export class TrustStore {
  constructor(readonly storage: Storage) {}

  async readAll(): Promise<{ rules: TrustRule[]; problems: string[] }> {
    const rules: TrustRule[] = [];
    const problems: string[] = [];
    for await (const key of this.storage.listKeys(TRUST_PREFIX)) {
      if (ruleIdOfKey(key) === null) {
        problems.push(`${key} is not a trust rule (expected ${TRUST_PREFIX}<rule id>.json)`);
        continue;
      }
      const rule = await readRule(this.storage, key);
      if (typeof rule === 'string') problems.push(rule);
      else if (rule !== null) rules.push(rule);
    }
    rules.sort(byCreation);
    return { rules, problems };
  }

  async add(request: NewTrustRule): Promise<TrustRule> {
    if (!REPOSITORY.test(request.repository)) throw usageError(`--repository: "${request.repository}" is not owner/name (GitLab: group/project)`);
    if (request.scopes.length === 0) throw usageError('--scopes: name at least one scope the rule may publish into, e.g. --scopes acme');
    for (const scope of request.scopes) parseScopeName(scope);
    const users = new UserDirectory((await new TokenStore(this.storage).readAll()).records);
    const userId = users.idOf(request.user);
    if (userId === undefined) {
      throw new RegistryError('not_found', `there is no user "${request.user}": users are made by their first token (\`pesde-registry token create --user ${request.user}\`), which may be revoked at once`);
    }
    const rule: TrustRule = { format: TRUST_FORMAT, id: newRuleId(), ...request, userId, createdAt: new Date().toISOString() };
    await this.storage.put(ruleKey(rule.id), Buffer.from(`${JSON.stringify(rule, null, 2)}\n`));
    return rule;
  }

  async remove(id: string): Promise<TrustRule> {
    if (!isRuleId(id)) throw usageError(`"${id}" is not a rule id (see \`pesde-registry trust list\`)`);
    const rule = await readRule(this.storage, ruleKey(id));
    if (rule === null) throw new RegistryError('not_found', `there is no trust rule ${id} (see \`pesde-registry trust list\`)`);
    await this.storage.delete(ruleKey(id));
    if (typeof rule === 'string') throw new RegistryError('invalid_input', `removed ${ruleKey(id)}, which was not a valid rule: ${rule}`);
    return rule;
  }
}

/** The rule, null when it vanished, or a line saying why it cannot be used. */
export async function readRule(storage: Storage, key: string): Promise<TrustRule | string | null> {
  try {
    const text = await readSmallObject(storage, key);
    return text === null ? null : parseTrustRule(text, key);
  } catch (error) {
    if (error instanceof CorruptRecord) return error.message;
    throw error;
  }
}
