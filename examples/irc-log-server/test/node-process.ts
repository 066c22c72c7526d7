/**
 * A node of the IRC log server as a real process: `main.ts` forked with an IPC channel (so it
 * exits when the test process goes), its output recorded, killed after each test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

/** What a node reports once it listens. */
export interface Ready {
  type: 'ready';
  ircPort: number;
  ingestPort: number | null;
}

/** A running node. */
export interface NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly ready: Ready;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once it exits. */
  readonly exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
const outputs: (() => string)[] = [];

/** Kills the nodes of the test after it. Call once per test file. */
export function killNodesAfterEach(): void {
  afterEach(() => {
    for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    outputs.splice(0);
  });
}

/** Every node's output, for a failing test to print. */
export function allOutput(): string {
  return outputs.map((output) => output()).join('\n----\n');
}

/** Starts `main.ts` with `args`; resolves once it reports its ports. */
export function startNode(name: string, args: string[]): Promise<NodeProcess> {
  const child = fork(MAIN, ['--server-name', name, ...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  outputs.push(() => `${name}: ${output}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ name, child, ready: message as Ready, output: () => output, exited }));
    void exited.then((code) => reject(new Error(`${name} exited with ${String(code)}: ${output}`)));
  });
}
