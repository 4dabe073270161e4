/** The `trust` command group (trusted publishing rules), added to the program by cli.ts. */
import type { Command } from 'commander';
import type { Reporter } from './output.js';

type Handler = (reporter: Reporter, ...args: unknown[]) => Promise<void>;
type Run = (load: () => Promise<Handler>, args: unknown[]) => Promise<void>;
type Decorate = (cmd: Command) => Command;

export function addTrustCommands(program: Command, run: Run, storageOptions: Decorate, outputOptions: Decorate): void {
  const trust = program.command('trust').description('trusted publishing: which CI runs may publish with their OIDC ID token instead of a secret');
  const load = (name: 'trustAddCommand' | 'trustListCommand' | 'trustRemoveCommand') => async () => (await import('./commands/trust.js'))[name] as Handler;
  outputOptions(
    storageOptions(
      trust
        .command('add')
        .description('trust ID tokens from an issuer for one repository (and optionally ref, workflow, environment)')
        .option('--issuer <url>', 'OIDC issuer, e.g. https://token.actions.githubusercontent.com')
        .option('--repository <owner/name>', 'the repository claim (GitLab: project path)')
        .option('--ref <pattern>', "the ref claim; * matches anything, e.g. 'refs/tags/v*'")
        .option('--workflow <file>', 'workflow file name or path, e.g. publish.yml')
        .option('--environment <name>', 'deployment environment, e.g. release')
        .option('--scopes <a,b>', 'scopes the rule may publish into')
        .option('--as <user>', 'the user (from the token store) publishes are made as'),
    ),
  ).action((...args: unknown[]) => run(load('trustAddCommand'), args));
  outputOptions(storageOptions(trust.command('list').description('list the trust rules'))).action((...args: unknown[]) => run(load('trustListCommand'), args));
  outputOptions(storageOptions(trust.command('remove').description('remove a trust rule').argument('<rule id>', 'as `trust list` shows it'))).action((...args: unknown[]) =>
    run(load('trustRemoveCommand'), args),
  );
}
