import { execa } from 'execa';
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

export async function tryGit(dir: string, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const result = await execa('git', args, {
    cwd: dir,
    env: gitEnv(opts.env),
    input: opts.input,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 512 * 1024 * 1024,
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
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
