import { appendFileSync } from 'node:fs';
const out = process.env.RECORD_IMPORTS;
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (out) appendFileSync(out, `${r.url}\n`);
  return r;
}
