/**
 * A replica's copy of the trust rules, re-read every interval, so `trust add` and
 * `trust remove` take effect on every replica within one interval without a restart.
 * Requests are checked against memory only; when the rules cannot be read, the last good
 * copy stays (and the failure is logged). Rules are few, so each refresh reads them all.
 */
import { errorMessage } from '../errors.js';
import { PeriodicRefresh } from '../periodic-refresh.js';
import type { Logger } from '../server/logger.js';
import type { Storage } from '../storage/storage.js';
import type { TrustRule } from './trust-rule.js';
import { TrustStore } from './trust-store.js';

export class TrustCache extends PeriodicRefresh {
  private current: readonly TrustRule[] = [];
  private issuerSet: ReadonlySet<string> = new Set();
  lastError: string | null = null;

  constructor(private readonly opts: { storage: Storage; logger: Logger; intervalMs: number }) {
    super(opts.intervalMs);
  }

  get rules(): readonly TrustRule[] {
    return this.current;
  }

  /** the issuers some rule names: tokens from any other issuer are not even fetched keys for */
  get issuers(): ReadonlySet<string> {
    return this.issuerSet;
  }

  protected async refreshOnce(): Promise<void> {
    try {
      const { rules, problems } = await new TrustStore(this.opts.storage).readAll();
      for (const problem of problems) this.opts.logger.warn(`skipping a trust rule: ${problem}`);
      this.current = rules;
      this.issuerSet = new Set(rules.map((r) => r.issuer));
      this.lastError = null;
    } catch (error) {
      this.lastError = errorMessage(error);
      this.opts.logger.warn(`cannot read the trust rules, keeping the last good copy (${this.current.length} rules): ${this.lastError}`);
    }
  }
}
