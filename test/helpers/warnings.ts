/**
 * Process warnings a test provokes on purpose (an unheard error becomes a `LogcasterWarning`),
 * captured so the test can assert them: Node would otherwise print each one with its stack on
 * stderr, and a green run would look like a failing one.
 *
 * ```ts
 * const warnings = captureWarnings();
 * afterEach(() => warnings.restore());
 * // ...
 * expect((await warnings.next()).message).toMatch(/^Batcher: Error: disk full/);
 * ```
 */
import { vi } from 'vitest';

/** A warning as Node would have emitted it: `name` is its type. */
export interface CapturedWarning {
  /** The warning's type: `'LogcasterWarning'`, `'DeprecationWarning'`, … */
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  /** For a LogcasterWarning, the stack of the error that went unheard. */
  readonly detail?: string;
}

/** The warnings captured since {@link captureWarnings}, until {@link WarningCapture.restore}. */
export interface WarningCapture extends Disposable {
  /** Every captured warning, in order. */
  readonly all: readonly CapturedWarning[];
  /** Resolves with the next captured warning (one already captured and not yet taken by `next` first). */
  next(timeoutMs?: number): Promise<CapturedWarning>;
  /** Hands warnings back to Node (printed as usual). */
  restore(): void;
}

type EmitWarningOptions = { type?: string; code?: string; detail?: string };

/**
 * Captures the process warnings of the given types (by default `LogcasterWarning` only; any other
 * warning still reaches Node, so an unexpected one stays visible) until `restore()`.
 */
export function captureWarnings(types: readonly string[] = ['LogcasterWarning']): WarningCapture {
  const all: CapturedWarning[] = [];
  let taken = 0;
  const waiters: ((warning: CapturedWarning) => void)[] = [];
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, ...rest: unknown[]) => {
    const captured = asWarning(warning, rest);
    if (!types.includes(captured.name)) {
      original(warning, ...rest);
      return;
    }
    all.push(captured);
    const waiter = waiters.shift();
    if (waiter !== undefined) {
      taken++;
      waiter(captured);
    }
  }) as typeof process.emitWarning);
  return {
    all,
    next(timeoutMs = 5_000) {
      if (taken < all.length) return Promise.resolve(all[taken++]);
      return new Promise<CapturedWarning>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1);
          reject(new Error(`no ${types.join('/')} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (warning: CapturedWarning): void => {
          clearTimeout(timer);
          resolve(warning);
        };
        waiters.push(done);
      });
    },
    restore() {
      spy.mockRestore();
    },
    [Symbol.dispose]() {
      spy.mockRestore();
    },
  };
}

/** What `process.emitWarning(warning, typeOrOptions, code)` would have emitted. */
function asWarning(warning: string | Error, rest: unknown[]): CapturedWarning {
  const [typeOrOptions, code] = rest;
  const options: EmitWarningOptions =
    typeof typeOrOptions === 'string' ? { type: typeOrOptions, code: typeof code === 'string' ? code : undefined } : ((typeOrOptions ?? {}) as EmitWarningOptions);
  if (warning instanceof Error) {
    return { name: warning.name, message: warning.message, code: (warning as Error & { code?: string }).code };
  }
  return { name: options.type ?? 'Warning', message: warning, code: options.code, detail: options.detail };
}
