import { Command, CommanderError, Option } from 'commander';
import { addLogCommand, addOwnerCommands, addTokenCommands } from './cli-access.js';
import { addTrustCommands } from './cli-trust.js';
import { RegistryError } from './errors.js';
import { Reporter } from './output.js';
import { packageVersion } from './program-files.js';
import { addSecret } from './redact.js';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
}

type Handler = (reporter: Reporter, ...args: unknown[]) => Promise<void>;

const storageOptions = (cmd: Command): Command =>
  cmd
    .option('--storage-root <dir>', 'file-system storage root (env FS_STORAGE_ROOT)')
    .option('--s3-endpoint <url>', 'S3 endpoint URL (env S3_ENDPOINT)')
    .option('--s3-bucket <name>', 'S3 bucket (env S3_BUCKET_NAME)')
    .option('--s3-region <region>', 'S3 region (env S3_REGION)')
    .option('--s3-access-key <key>', 'S3 access key id (env S3_ACCESS_KEY)')
    .option('--s3-secret-key <key>', 'S3 secret key (env S3_SECRET_KEY)');

/** `--registry` and its credentials: the command goes to a running registry over HTTP. */
const registryOptions = (cmd: Command): Command =>
  cmd
    .option('--registry <url>', 'send the command to this running registry (its API URL) instead of a local clone')
    .option('--token <token>', 'registry token for --registry (env PESDE_REGISTRY_TOKEN)')
    .option('--oidc', 'in GitHub Actions: authenticate with the job\'s OIDC ID token (trusted publishing)')
    .option('--id-token-file <file>', 'a CI provider\'s OIDC ID token for --registry (env PESDE_REGISTRY_ID_TOKEN)')
    .option('--audience <aud>', 'audience asked for with --oidc (default: the --registry URL)')
    .option('--timeout <seconds>', 'longest each request to --registry may take (default 120)');

const outputOptions = (cmd: Command): Command =>
  cmd.option('--json', 'print one JSON object instead of text').option('-q, --quiet', 'print only errors');

type Run = (load: () => Promise<Handler>, args: unknown[]) => Promise<void>;

/** A top-level command's name, and what adds it (with its subcommands) to the program. */
type TopLevelCommand = readonly [name: string, define: () => void];

/**
 * The program, with every command or just the one `argv` (as process.argv) names: defining
 * all of them and their options took about 6 ms of every run (bench/RESULTS.md, issue 17
 * thirteenth pass), which a publish or a `--version` need not pay. Help, a mistyped command
 * and no command at all get them all, for the lists and the suggestions.
 */
export function buildProgram(run: Run, argv: readonly string[] = []): Command {
  const program = new Command('pesde-registry')
    .description('Manage and serve a pesde package index (a Git repository) with file or S3 storage')
    .version(packageVersion(), '-V, --version')
    // set before subcommands are added so they inherit it: usage errors come back to main()
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  const adminOptions = (cmd: Command): Command =>
    outputOptions(
      registryOptions(cmd
        .option('--index <dir>', 'local clone of the index', '.')
        .option('--owner <id>', 'publisher id checked against scope.toml', '0')
        .option('--no-push', 'commit locally without pushing')),
    );
  // in the order help lists them
  const commands: TopLevelCommand[] = [
    ['init', () => {
      outputOptions(
        program
          .command('init')
          .description('scaffold an index: config.toml with every option, a git repo, optionally a remote and a first push')
          .argument('[dir]', 'folder of the index (created if needed)', '.')
          .option('--api <url>', 'base URL of the registry API (asked for on a terminal when missing)')
          .option('--download <template>', 'archive URL template')
          .option('--github-oauth-client-id <id>', 'GitHub OAuth app client id (for GitHub auth)')
          .option('--git-allowed <value>', 'true, false or comma-separated repository URLs')
          .option('--other-registries-allowed <value>', 'true, false or comma-separated index URLs')
          .option('--wally-allowed <value>', 'true, false or comma-separated Wally index URLs')
          .option('--max-archive-size <bytes>', 'largest accepted archive in bytes')
          .option('--scripts-packages <names>', 'comma-separated scope/name list')
          .option('--remote <url>', 'set origin to this URL')
          .option('--push', 'push main to origin')
          .option('--force', 'overwrite an existing config.toml'),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/init.js')).initCommand as Handler, args));
    }],
    ['publish', () => {
      outputOptions(
        registryOptions(storageOptions(
          program
            .command('publish')
            .description('validate a package archive, store it, commit the index entry and push')
            .argument('<archive>', 'the package .tar.gz (as made by `pesde publish`), or a package folder holding pesde.toml to pack')
            .option('--index <dir>', 'local clone of the index', '.')
            .option('--owner <id>', 'publisher id written as owner of a new scope and checked against scope.toml', '0')
            .option('--index-url <url>', 'another URL this index is known by (dependencies on it are allowed); repeatable', collect, [])
            .option('--no-push', 'commit locally without pushing (the index may have no remote)')
            .option('--dry-run', 'validate and print the entry; change nothing'),
        )),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/publish.js')).publishCommand as Handler, args));
    }],
    ['serve', () => {
      outputOptions(
        storageOptions(
          program
            .command('serve')
            .description('serve the registry HTTP API for the pesde client (starts an embedded local index when nothing is configured)')
            .option('--index <dir>', 'serve this local clone of the index')
            .option('--address <address>', 'address to listen on (env ADDRESS, default 127.0.0.1)')
            .option('--port <port>', 'port to listen on (env PORT, default 8080)')
            .option('--data-dir <dir>', 'where clones and the embedded default live (env DATA_DIR, default ./data)')
            .option('--refresh-interval <seconds>', 'how often to fetch the index from origin; 0 = only after own writes (default 10)')
            .option('--s3-proxy', 'stream S3 archives through the server instead of redirecting')
            .option('--publish-rate-limit <burst/seconds>', 'per-user publish limit, e.g. 12/60 (the official one), or off')
            .option('--request-timeout <seconds>', 'longest a request may take (default 120)')
            .option('--index-url <url>', 'another URL this index is known by (dependencies on it are allowed); repeatable', collect, [])
            .option('--metrics-address <host:port>', 'serve /metrics only on this second listener, e.g. an internal interface (env METRICS_ADDRESS)')
            .option('--no-metrics', 'no /metrics and no metrics work at all (env METRICS=off)')
            .option('--github-api-url <url>', 'GitHub API base for GitHub auth (env GITHUB_API_URL)')
            .option('--git-timeout <seconds>', 'longest a git fetch, clone or push may take (env GIT_TIMEOUT, default 120)')
            .option('--git-connect-timeout <seconds>', 'longest git waits to connect or while the remote sends nothing (env GIT_CONNECT_TIMEOUT, default 10)')
            .option('--allowed-origins <origins>', 'comma-separated origins whose web pages may write, besides this registry (env ALLOWED_ORIGINS)')
            .option('--allowed-hosts <names>', 'comma-separated host names that writes without auth may use, besides loopback, IPs and api (env ALLOWED_HOSTS)')
            .addOption(new Option('--log-format <format>', 'request log format (env LOG_FORMAT, default text)').choices(['text', 'json']))
            .option('--index-repo-url <url>', 'clone this index into DATA_DIR/index (env INDEX_REPO_URL)'),
        ),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/serve.js')).serveCommand as Handler, args));
    }],
    ['verify', () => {
      outputOptions(
        storageOptions(
          program
            .command('verify')
            .description('check config.toml, every package file and scope.toml, and that storage holds every archive and doc page')
            .option('--index <dir>', 'local clone of the index', '.'),
        ),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/verify.js')).verifyCommand as Handler, args));
    }],
    ['gc', () => {
      outputOptions(
        storageOptions(
          program
            .command('gc')
            .description('list (default) or delete stored objects that no index entry references, older than a grace period')
            .option('--index <dir>', 'local clone of the index (fetched first when it has an origin)', '.')
            .option('--older-than <duration>', 'leave unreferenced objects younger than this alone, e.g. 30m, 24h, 7d (default 24h)')
            .option('--dry-run', 'only list what would be deleted (the default)')
            .option('--delete', 'delete the unreferenced objects (holding their versions\' claims, so no publish under way loses one)'),
        ),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/gc.js')).gcCommand as Handler, args));
    }],
    ['storage', () => {
      const storageGroup = program.command('storage').description('work on stored objects across storages');
      outputOptions(
        storageGroup
          .command('copy')
          .description('copy every object the index references (or --all) to another storage, skipping objects already there')
          .option('--from <storage>', 'source: fs:<dir> or s3://<bucket>?endpoint=<url>&region=<region> (keys from FROM_S3_ACCESS_KEY/FROM_S3_SECRET_KEY or S3_ACCESS_KEY/S3_SECRET_KEY)')
          .option('--to <storage>', 'destination, same forms (keys from TO_S3_ACCESS_KEY/TO_S3_SECRET_KEY or S3_ACCESS_KEY/S3_SECRET_KEY)')
          .option('--index <dir>', 'local clone of the index naming the objects to copy', '.')
          .option('--all', 'copy every object in the source, referenced or not (no index needed)')
          .option('--concurrency <n>', 'objects copied at once (default 16)'),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/storage-copy.js')).storageCopyCommand as Handler, args));
    }],
    ...([true, false] as const).map((yanked): TopLevelCommand => [yanked ? 'yank' : 'unyank', () => {
      adminOptions(
        program
          .command(yanked ? 'yank' : 'unyank')
          .description(yanked ? 'mark a version as yanked (hidden from resolution, still downloadable)' : 'undo a yank')
          .argument('<name>', 'package, scope/name')
          .argument('<version>', 'the version')
          .argument('[target]', 'a target kind, or all', 'all'),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/index-admin.js')).yankCommand(yanked) as Handler, args));
    }]),
    ['deprecate', () => {
      adminOptions(
        program
          .command('deprecate')
          .description('mark a package as deprecated, with a reason shown to users')
          .argument('<name>', 'package, scope/name')
          .argument('<reason>', 'why, and what to use instead'),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/index-admin.js')).deprecateCommand as Handler, args));
    }],
    ['undeprecate', () => {
      adminOptions(
        program.command('undeprecate').description('remove the deprecation of a package').argument('<name>', 'package, scope/name'),
      ).action((...args: unknown[]) => run(async () => (await import('./commands/index-admin.js')).undeprecateCommand as Handler, args));
    }],
    ['token', () => addTokenCommands(program, run, storageOptions, outputOptions)],
    ['owner', () => addOwnerCommands(program, run, storageOptions, outputOptions)],
    ['log', () => addLogCommand(program, run, outputOptions)],
    ['trust', () => addTrustCommands(program, run, storageOptions, outputOptions)],
  ];
  const only = commandToDefine(argv, commands.map(([name]) => name));
  for (const [name, define] of commands) if (only === undefined || name === only) define();

  return program;
}

/**
 * What `argv` needs defined: the top-level command it names, '' (none) for a lone
 * `--version`, undefined (all) for anything else.
 */
function commandToDefine(argv: readonly string[], names: readonly string[]): string | undefined {
  const name = argv[2];
  if (argv.length === 3 && (name === '-V' || name === '--version')) return '';
  return name !== undefined && names.includes(name) ? name : undefined;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the CLI and resolves to the process exit code (documented in the README). */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(async (load, args) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.opts<GlobalOptions & { s3SecretKey?: string }>();
    // a secret given as a flag is hidden from every message like one from the environment
    addSecret(opts.s3SecretKey);
    const reporter = await Reporter.create({ json: opts.json, quiet: opts.quiet });
    try {
      const handler = await load();
      await handler(reporter, ...args.slice(0, -1));
    } catch (error) {
      exitCode = reporter.fail(error);
    }
  }, argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      const reporter = await Reporter.create({ json: argv.includes('--json') });
      return reporter.fail(new RegistryError('usage', `${error.message.replace(/^error: /, '')} (run with --help for usage)`));
    }
    throw error;
  }
  return exitCode;
}
