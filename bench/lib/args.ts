/** Tiny flag parser for benchmarks: `--name value` integers, with bounds and a usage line. */

export function intFlag(argv: readonly string[], name: string, dflt: number, min: number, max: number, usage: string): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const raw = argv[i + 1];
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name}: expected an integer ${min}..${max}, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
    console.error(usage);
    process.exit(2);
  }
  return n;
}

/** Refuse flags the benchmark does not know (a typo would silently run the default). */
export function checkFlags(argv: readonly string[], known: readonly string[], usage: string): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('--')) continue;
    if (a === '--help') {
      console.log(usage);
      process.exit(0);
    }
    if (!known.includes(a.slice(2))) {
      console.error(`unknown flag ${a}`);
      console.error(usage);
      process.exit(2);
    }
    i++;
  }
}
