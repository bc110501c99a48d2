/**
 * The harness's own log: one line per event on stderr, prefixed with seconds since start and an area
 * (`stack`, `engine`, …). Stdout stays free for what a command is asked to print (JSON, summaries).
 *
 * Every line passes through `redact()`, so a per-run secret registered with `registerSecret()` never
 * reaches the terminal or a log file, whichever code path formats it.
 */
const startedAt = performance.now();
const secrets = new Set<string>();
let quiet = process.env.CENTRIFUGO_BENCH_QUIET === '1';

export function registerSecret(secret: string): void {
  if (secret.length >= 6) secrets.add(secret);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

export function setQuiet(value: boolean): void {
  quiet = value;
}

function elapsed(): string {
  return `${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s`;
}

/**
 * Longest message one log call writes. A last resort: formatters bound their own text (plan lines list a
 * few items, validation errors quote a few characters), but a log line must stay a line whatever a caller
 * passes — a huge plan once wrote one 400 MB line.
 */
export const MAX_LOG_MESSAGE_CHARS = 16_384;

function capped(message: string): string {
  if (message.length <= MAX_LOG_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_LOG_MESSAGE_CHARS)}… (${message.length - MAX_LOG_MESSAGE_CHARS} more characters cut)`;
}

function write(level: string, area: string, message: string): void {
  // Redacted before it is cut, so a cut never leaves part of a secret behind.
  process.stderr.write(`${elapsed()} ${level}${area.padEnd(8)} ${capped(redact(message))}\n`);
}

export const log = {
  info(area: string, message: string): void {
    if (!quiet) write(' ', area, message);
  },
  warn(area: string, message: string): void {
    write('!', area, message);
  },
  error(area: string, message: string): void {
    write('✗', area, message);
  },
};
