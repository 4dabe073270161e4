import { spawn } from 'node:child_process';
import { RegistryError } from '../errors.js';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GitRunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
}

/**
 * The environment every git call runs with: never prompt (a server or CI job would hang
 * on a credential prompt), and answer credential requests from GIT_USERNAME/GIT_PASSWORD
 * the way the official registry does, without writing them into a URL or a config file.
 */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
    ...extra,
  };
  const username = process.env.GIT_USERNAME;
  const password = process.env.GIT_PASSWORD;
  if (username !== undefined || password !== undefined) {
    // git reads credentials from a helper; an inline shell helper echoes them from the environment
    // so they never appear in argv (visible in `ps`) or on disk.
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'credential.helper';
    env.GIT_CONFIG_VALUE_0 =
      '!f() { test "$1" = get && echo "username=${GIT_USERNAME}" && echo "password=${GIT_PASSWORD}"; }; f';
  }
  return env;
}

export function tryGit(dir: string, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd: dir, env: { ...process.env, ...gitEnv(opts.env) }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // git may exit before reading all of its input (e.g. on a bad argument); its exit code says why
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => resolve({ exitCode: 127, stdout: '', stderr: `cannot run git: ${error.message}` }));
    child.on('close', (code) => {
      resolve({ exitCode: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs git and returns its stdout with the final newline removed; failures become one-line git errors. */
export async function git(dir: string, args: string[], opts: GitRunOptions = {}): Promise<string> {
  const result = await tryGit(dir, args, opts);
  if (result.exitCode !== 0) {
    throw new RegistryError('git', `git ${args[0]} failed in ${dir}: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`);
  }
  return result.stdout.replace(/\n$/, '');
}

export function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('hint:'));
  return line ?? '';
}
