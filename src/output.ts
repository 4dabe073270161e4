import type { Ora } from 'ora';
import { errorMessage, INTERNAL_EXIT_CODE, isRegistryError } from './errors.js';

export interface OutputOptions {
  json?: boolean | undefined;
  quiet?: boolean | undefined;
}

export interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

const PLAIN_PROGRESS_EVERY_MS = 5_000;

/** Colour and spinners only for a person at a terminal; CI logs and pipes get plain lines. */
export function isFancy(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.CI && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}
const plain: Paint = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

/**
 * All command output goes through here: progress to stderr (spinner or plain lines),
 * results to stdout (text or one JSON object), errors as one line on stderr.
 */
export class Reporter {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly fancy: boolean;
  private paint: Paint = plain;
  private spinner: Ora | null = null;
  private createSpinner: ((text: string) => Ora) | null = null;
  private lastProgressAt = 0;

  private constructor(opts: OutputOptions, private readonly streams: Streams) {
    this.json = Boolean(opts.json);
    this.quiet = Boolean(opts.quiet);
    this.fancy = !this.json && !this.quiet && isFancy(streams.stderr, streams.env);
  }

  /** chalk and ora are loaded only when a terminal will show them, so piped runs start faster */
  static async create(opts: OutputOptions, streams: Streams = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<Reporter> {
    const reporter = new Reporter(opts, streams);
    if (reporter.fancy) {
      const [{ default: chalk }, { default: ora }] = await Promise.all([import('chalk'), import('ora')]);
      reporter.paint = chalk;
      reporter.createSpinner = (text) => ora({ text, stream: streams.stderr }).start();
    }
    return reporter;
  }

  /** A phase begins; on a terminal it spins until the next phase or the end. */
  step(text: string): void {
    if (this.json || this.quiet) return;
    this.finishStep(true);
    if (this.createSpinner !== null) this.spinner = this.createSpinner(text);
    else this.streams.stderr.write(`${text}...\n`);
  }

  /**
   * How far a long phase has got: the spinner's text on a terminal; elsewhere a plain line
   * at most every few seconds, so a CI log shows it is alive without a line per object.
   */
  progress(text: string): void {
    if (this.json || this.quiet) return;
    if (this.spinner !== null) {
      this.spinner.text = text;
      return;
    }
    const now = Date.now();
    if (now - this.lastProgressAt < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastProgressAt = now;
    this.streams.stderr.write(`${text}\n`);
  }

  /** Information for a person; never in --json or --quiet output. */
  info(text: string): void {
    if (this.json || this.quiet) return;
    this.finishStep(true);
    this.streams.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    if (this.json) return;
    this.finishStep(true);
    this.streams.stderr.write(`${this.paint.yellow('warning:')} ${text}\n`);
  }

  /** The command's outcome: `data` as JSON with --json, else `text` (unless --quiet). */
  result(data: Record<string, unknown>, text: string): void {
    this.finishStep(true);
    if (this.json) this.streams.stdout.write(`${JSON.stringify(data)}\n`);
    else if (!this.quiet) this.streams.stdout.write(`${this.paint.green('✔')} ${text}\n`);
  }

  /** Prints the failure and returns the exit code that goes with it. */
  fail(error: unknown): number {
    this.finishStep(false);
    const code = isRegistryError(error) ? error.exitCode : INTERNAL_EXIT_CODE;
    const kind = isRegistryError(error) ? error.kind : 'internal';
    const message = errorMessage(error).replace(/\s*\n\s*/g, ' ');
    if (this.json) {
      this.streams.stdout.write(`${JSON.stringify({ error: message, code: kind, exitCode: code, ...(isRegistryError(error) ? error.details : {}) })}\n`);
    } else {
      this.streams.stderr.write(`${this.paint.red('error:')} ${message}\n`);
      if (!isRegistryError(error)) {
        this.streams.stderr.write('This is a bug in pesde-registry; please report it with the command you ran.\n');
        if (error instanceof Error && error.stack) this.streams.stderr.write(`${this.paint.dim(error.stack)}\n`);
      }
    }
    return code;
  }

  private finishStep(ok: boolean): void {
    if (this.spinner === null) return;
    if (ok) this.spinner.succeed();
    else this.spinner.fail();
    this.spinner = null;
  }
}
