import { createRng, type Rng } from '@app/pricing';
import { signRequest } from '@app/sdk';
import { request as httpRequest } from 'node:http';
import type { Pool } from 'pg';
import { rowText } from './fingerprint.js';

/**
 * Helpers of the API fuzzer (test/fuzz.e2e-spec.ts): routes and schemas from the OpenAPI document,
 * hostile values and bodies derived from those schemas, signed and unsigned raw HTTP requests with
 * a timeout, the error-shape check, and a one-query fingerprint of every table.
 */

// ---- OpenAPI -------------------------------------------------------------------------------------

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
}

export interface Route {
  method: string;
  /** OpenAPI template, e.g. /v1/rfqs/{id}/accept */
  path: string;
  pathParams: string[];
  headers: Array<{ name: string; required: boolean }>;
  body: JsonSchema | null;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string; required?: boolean }>;
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
}

export function routesOf(doc: OpenApiDoc): Route[] {
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        headers: params
          .filter((p) => p.in === 'header')
          .map((p) => ({ name: p.name, required: !!p.required })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return routes;
}

// ---- hostile values ------------------------------------------------------------------------------

/** A JSON text fragment spliced in as is (1e400 and 30-digit integers have no JS value). */
export class Raw {
  constructor(readonly text: string) {}
}

const RAW_MARK = '\u0001raw\u0001';

/** JSON text of a value that may contain Raw fragments. */
export function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `${RAW_MARK}${raws.length - 1}`;
    }
    return v;
  });
  return (text ?? '').replace(new RegExp(`"${RAW_MARK}(\\d+)"`, 'g'), (_m, i: string) => raws[Number(i)]!);
}

export const HOSTILE_STRINGS: Array<[string, string]> = [
  ['empty', ''],
  ['space', ' '],
  ['emoji', '🚀💸🔥'],
  ['rtl-override', '\u202Eevil\u202C'],
  ['nul-byte', 'a\u0000b'],
  ['lone-surrogate', '\uD800'],
  ['zero-width', '\u200B\u200D\uFEFF'],
  ['sql-injection', "x' OR '1'='1'; DROP TABLE rfqs; --"],
  ['nosql-operator', '{"$gt":""}'],
  ['path-traversal', '../../../../etc/passwd'],
  ['script-tag', '<script>alert(1)</script>'],
  ['format-string', '%s%n%x%d'],
  ['crlf', 'a\r\nX-Injected: 1'],
  ['long-10k', 'x'.repeat(10_000)],
  ['uuid-shaped-36-hex', 'a'.repeat(36)],
  ['unicode-digits', '١٢٣'],
];

const DECIMAL_VALUES: Array<[string, unknown, 'reject' | 'any']> = [
  ['negative', '-1', 'any'],
  ['zero', '0', 'any'],
  ['huge-valid', '99999999999999999999.99999999', 'any'],
  ['30-digits', '123456789012345678901234567890', 'reject'],
  ['9-decimals', '1.123456789', 'reject'],
  ['exponent', '1e400', 'reject'],
  ['nan', 'NaN', 'reject'],
  ['infinity', 'Infinity', 'reject'],
  ['leading-space', ' 1', 'reject'],
  ['comma', '1,5', 'reject'],
  ['fullwidth', '１', 'reject'],
  ['number-not-string', 1, 'reject'],
  ['raw-1e400', new Raw('1e400'), 'reject'],
  ['raw-30-digits', new Raw('123456789012345678901234567890'), 'reject'],
  ['hex', '0x10', 'reject'],
];

const INTEGER_VALUES = (s: JsonSchema): Array<[string, unknown, 'reject' | 'any']> => {
  const min = s.minimum ?? -Infinity;
  const max = s.maximum ?? Infinity;
  const verdict = (v: number) => (Number.isInteger(v) && v >= min && v <= max ? 'any' : 'reject');
  return [
    ['negative', -1, verdict(-1)],
    ['zero', 0, verdict(0)],
    ['fraction', 1.5, 'reject'],
    ['below-minimum', Number.isFinite(min) ? min - 1 : -1e9, 'reject'],
    ['above-maximum', Number.isFinite(max) ? max + 1 : 1e308, Number.isFinite(max) ? 'reject' : 'any'],
    ['raw-1e400', new Raw('1e400'), 'reject'],
    ['raw-30-digits', new Raw('123456789012345678901234567890'), 'reject'],
    ['raw-negative-zero', new Raw('-0'), verdict(0)],
    ['unsafe-integer', new Raw('9007199254740993'), verdict(Number.MAX_SAFE_INTEGER + 2)],
    ['string-number', '60', 'reject'],
  ];
};

/** Wrong JSON types for a declared type. */
function wrongTypes(type: string | undefined): Array<[string, unknown]> {
  const all: Array<[string, string, unknown]> = [
    ['string', 'type-string', 'x'],
    ['number', 'type-number', 7],
    ['boolean', 'type-boolean', true],
    ['object', 'type-object', { $gt: '' }],
    ['array', 'type-array', ['x']],
    ['null', 'type-null', null],
  ];
  const same = type === 'integer' ? 'number' : type;
  return all.filter(([t]) => t !== same).map(([, name, v]) => [name, v]);
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type[0];
  if (s.type) return s.type;
  if (s.anyOf) return typeOf(s.anyOf[0]!);
  return undefined;
}

function matchesString(s: JsonSchema, v: string): boolean {
  if (s.anyOf) return s.anyOf.some((x) => typeOf(x) === 'string' && matchesString(x, v));
  if (s.enum) return s.enum.includes(v);
  if (s.minLength !== undefined && [...v].length < s.minLength) return false;
  if (s.maxLength !== undefined && [...v].length > s.maxLength) return false;
  if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) return false;
  if (s.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
    return false;
  return true;
}

const DECIMAL_PATTERN = '^-?\\d{1,20}(\\.\\d{1,8})?$';

export interface ValueCase {
  name: string;
  value: unknown;
  expect: 'reject' | 'any';
}

/** Hostile values for one schema node, each with whether the schema alone already forbids it. */
export function hostileValues(s: JsonSchema): ValueCase[] {
  const type = typeOf(s);
  const out: ValueCase[] = wrongTypes(type).map(([name, value]) => ({
    name,
    value,
    // anyOf (ratio: integer or digit string) accepts some of the "wrong" types.
    expect: s.anyOf ? 'any' : 'reject',
  }));
  if (type === 'string' && !s.enum) {
    if (s.pattern === DECIMAL_PATTERN) {
      out.push(
        ...DECIMAL_VALUES.map(([name, value, expect]) => ({ name: `decimal-${name}`, value, expect })),
      );
    }
    for (const [name, value] of HOSTILE_STRINGS)
      out.push({ name, value, expect: matchesString(s, value) ? 'any' : 'reject' });
    if (s.maxLength !== undefined)
      out.push({ name: 'over-max-length', value: 'y'.repeat(s.maxLength + 1), expect: 'reject' });
  }
  if (s.enum) {
    for (const [name, value] of [
      ['enum-lowercase', String(s.enum[0]).toLowerCase()],
      ['enum-unknown', 'HOLD'],
      ['enum-padded', ` ${String(s.enum[0])} `],
    ] as const)
      out.push({ name, value, expect: s.enum.includes(value) ? 'any' : 'reject' });
  }
  if (type === 'integer' || type === 'number')
    out.push(...INTEGER_VALUES(s).map(([name, value, expect]) => ({ name: `int-${name}`, value, expect })));
  if (type === 'array') {
    if ((s.minItems ?? 0) > 0) out.push({ name: 'array-empty', value: [], expect: 'reject' });
    if (s.maxItems !== undefined)
      out.push({
        name: 'array-over-max-items',
        value: Array.from({ length: s.maxItems + 1 }, () => (s.items ? exampleOf(s.items) : 'x')),
        expect: 'reject',
      });
  }
  return out;
}

/** A plausible value for a schema node; `hints` names values for known fields (ids of fixtures). */
export function exampleOf(s: JsonSchema, field = '', hints: Record<string, unknown> = {}): unknown {
  if (field in hints) return hints[field];
  if (s.anyOf) return exampleOf(s.anyOf[0]!, field, hints);
  if (s.enum) return s.enum[0];
  switch (typeOf(s)) {
    case 'string':
      if (s.pattern === DECIMAL_PATTERN) return '1';
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      return s.pattern ? 'fz1' : 'fuzz';
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(60, s.maximum ?? 60));
    case 'boolean':
      return false;
    case undefined:
      return null;
    case 'array':
      return s.items ? [exampleOf(s.items, `${field}[]`, hints)] : [];
    case 'object': {
      // Every property, optional ones included, so that each one gets mutated.
      const o: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(s.properties ?? {})) o[key] = exampleOf(child, key, hints);
      return o;
    }
    default:
      return null;
  }
}

export interface BodyCase {
  name: string;
  /** The exact text sent (JSON or not); latin1 sends its code units as raw bytes (invalid UTF-8). */
  text: string;
  encoding?: 'utf8' | 'latin1';
  contentType: string | null;
  expect: 'reject' | 'any';
}

type Json = Record<string, unknown>;

function setAt(root: unknown, path: Array<string | number>, value: unknown, remove = false): unknown {
  const copy = structuredClone(root) as Json;
  let node: Json = copy;
  for (const key of path.slice(0, -1)) node = node[key as string] as Json;
  const last = path[path.length - 1]!;
  if (remove) delete node[last as string];
  else node[last as string] = value;
  return copy;
}

/** Every property path of a schema with its node, following the first item of arrays. */
function paths(
  s: JsonSchema,
  base: unknown,
  prefix: Array<string | number> = [],
): Array<{ path: Array<string | number>; schema: JsonSchema; required: boolean }> {
  const out: Array<{ path: Array<string | number>; schema: JsonSchema; required: boolean }> = [];
  if (typeOf(s) === 'object' && s.properties && base && typeof base === 'object') {
    for (const [key, child] of Object.entries(s.properties)) {
      const path = [...prefix, key];
      out.push({ path, schema: child, required: (s.required ?? []).includes(key) });
      const value = (base as Json)[key];
      if (value !== undefined) out.push(...paths(child, value, path));
    }
  }
  if (typeOf(s) === 'array' && s.items && Array.isArray(base) && base.length > 0) {
    out.push(...paths(s.items, base[0], [...prefix, 0]));
  }
  return out;
}

const label = (path: Array<string | number>) =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.');

/** Hostile bodies for a route: field mutations of a valid baseline, then whole-body attacks. */
export function bodyCases(schema: JsonSchema, baseline: unknown, bodyLimit: number): BodyCase[] {
  const json = (name: string, value: unknown, expect: 'reject' | 'any'): BodyCase => ({
    name,
    text: jsonText(value),
    contentType: 'application/json',
    expect,
  });
  const cases: BodyCase[] = [json('baseline', baseline, 'any')];
  for (const { path, schema: node, required } of paths(schema, baseline)) {
    const at = label(path);
    if (required) cases.push(json(`${at}:missing`, setAt(baseline, path, undefined, true), 'reject'));
    for (const v of hostileValues(node))
      cases.push(json(`${at}:${v.name}`, setAt(baseline, path, v.value), v.expect));
  }
  // Unknown fields at every object level (every schema here is strict).
  for (const { path, schema: node } of [
    { path: [] as Array<string | number>, schema },
    ...paths(schema, baseline),
  ]) {
    if (typeOf(node) !== 'object') continue;
    const target =
      path.length === 0 ? baseline : path.reduce<unknown>((n, k) => (n as Json)[k as string], baseline);
    if (!target || typeof target !== 'object') continue;
    const at = path.length === 0 ? '(body)' : label(path);
    const withKey = (key: string, value: unknown) =>
      path.length === 0
        ? { ...(baseline as Json), [key]: value }
        : setAt(baseline, path, { ...(target as Json), [key]: value });
    cases.push(
      json(
        `${at}:unknown-field`,
        withKey('surprise', true),
        node.additionalProperties === false ? 'reject' : 'any',
      ),
    );
    cases.push(
      json(
        `${at}:operator-field`,
        withKey('$where', '1 == 1'),
        node.additionalProperties === false ? 'reject' : 'any',
      ),
    );
  }
  const raw = (name: string, text: string, contentType: string | null = 'application/json'): BodyCase => ({
    name,
    text,
    contentType,
    expect: 'reject',
  });
  const baseText = jsonText(baseline);
  const mutated = (name: string, text: string): BodyCase => ({
    ...raw(name, text),
    expect: text === baseText ? 'any' : 'reject',
  });
  cases.push(
    mutated('raw:truncated-json', baseText.slice(0, Math.max(1, baseText.length - 3))),
    mutated('raw:trailing-comma', baseText.replace(/}$/, ',}')),
    mutated('raw:single-quotes', baseText.replace(/"/g, "'")),
  );
  cases.push(
    raw('raw:not-json', 'hello'),
    raw('raw:empty-with-json-type', ''),
    raw('raw:root-array', '[]'),
    raw('raw:root-string', '"x"'),
    raw('raw:root-number', '1e400'),
    raw('raw:nan', '{"quantity": NaN}'),
    raw('raw:proto-pollution', `{"__proto__": {"admin": true}, ${baseText.slice(1)}`),
    raw('raw:constructor-pollution', `{"constructor": {"prototype": {"admin": true}}, ${baseText.slice(1)}`),
    raw('raw:deep-nesting', `${'['.repeat(20_000)}${']'.repeat(20_000)}`),
    raw('raw:oversized', `{"pad":"${'x'.repeat(bodyLimit + 1024)}"}`),
    raw('raw:wrong-content-type', baseText, 'text/plain'),
    raw('raw:form-content-type', 'a=1&b=2', 'application/x-www-form-urlencoded'),
  );
  cases.push({ ...raw('raw:invalid-utf8', '{"x":"\xff\xfe"}'), encoding: 'latin1' });
  cases.push({ ...raw('raw:duplicate-keys', `{"quantity":"1", ${baseText.slice(1)}`), expect: 'any' });
  cases.push({ ...raw('raw:bom', `\uFEFF${baseText}`), expect: 'any' });
  cases.push({ ...raw('raw:root-null', 'null'), expect: 'any' });
  return cases;
}

// ---- requests ------------------------------------------------------------------------------------

export interface Credentials {
  keyId: string;
  secret: string;
}

/** Signs for one key with strictly increasing timestamps, as the SDK does (replay protection). */
export class Signer {
  private last = 0;

  constructor(readonly credentials: Credentials) {}

  timestamp(): string {
    this.last = Math.max(Date.now(), this.last + 1);
    return String(this.last);
  }

  headers(
    method: string,
    pathWithQuery: string,
    body: string,
    timestamp = this.timestamp(),
  ): Record<string, string> {
    return {
      'x-api-key': this.credentials.keyId,
      'x-api-timestamp': timestamp,
      'x-api-signature': signRequest(this.credentials.secret, timestamp, method, pathWithQuery, body),
    };
  }
}

export interface RawRequest {
  method: string;
  /** Sent verbatim as the request target: it must already be percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  encoding?: 'utf8' | 'latin1';
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
  ms: number;
}

/** One HTTP request with node:http (no URL normalisation, exact bytes), bounded by a timeout. */
export function send(baseUrl: string, req: RawRequest, timeoutMs = 5_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body, req.encoding ?? 'utf8');
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ms: performance.now() - started,
          });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms (hang)`)));
    r.on('error', reject);
    if (body) r.write(body);
    r.end();
  });
}

/** What is wrong with an error response's shape, or null: `{ error: { code, message, details, correlationId } }`. */
export function errorShapeProblem(res: RawResponse): string | null {
  const body = res.json as { error?: Record<string, unknown> } | undefined;
  if (!body || typeof body !== 'object') return `not JSON: ${res.text.slice(0, 120)}`;
  const e = body.error;
  if (!e || typeof e !== 'object') return `no error object: ${res.text.slice(0, 120)}`;
  if (typeof e.code !== 'string' || !/^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*$/.test(e.code))
    return `bad code ${String(e.code)}`;
  if (typeof e.message !== 'string' || e.message.length === 0) return 'no message';
  if (!Array.isArray(e.details)) return 'details is not an array';
  if (typeof e.correlationId !== 'string' || e.correlationId.length === 0) return 'no correlationId';
  if (Object.keys(body).length !== 1) return `extra top-level keys ${Object.keys(body).join(',')}`;
  return null;
}

// ---- database fingerprint ------------------------------------------------------------------------

/**
 * The same fingerprint as `databaseChecksum` (md5 of every row of every table), in one round trip:
 * the fuzzer takes it after every request that could write.
 */
export class TableFingerprint {
  private sql: string | null = null;

  constructor(private readonly pool: Pool) {}

  async take(): Promise<Record<string, string>> {
    if (!this.sql) {
      const { rows } = await this.pool.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`,
      );
      this.sql = `SELECT ${rows
        .map(
          ({ tablename }) =>
            `(SELECT md5(coalesce(string_agg(${rowText(tablename)}, '|' ORDER BY ${rowText(tablename)}), '')) FROM "${tablename}" t) AS "${tablename}"`,
        )
        .join(', ')}`;
    }
    const { rows } = await this.pool.query<Record<string, string>>(this.sql);
    return rows[0]!;
  }
}

export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}

// ---- sampling ------------------------------------------------------------------------------------

/** A seeded sample of at most n items, keeping their order (deterministic for a seed). */
export function sample<T>(rng: Rng, items: T[], n: number, keep: (item: T) => boolean = () => false): T[] {
  if (items.length <= n) return items;
  const kept = items.filter(keep);
  const rest = items.filter((i) => !keep(i));
  const chosen = new Set<T>(kept);
  while (chosen.size < Math.min(n, items.length)) chosen.add(rest[rng.nextInt(rest.length)]!);
  return items.filter((i) => chosen.has(i));
}

export { createRng, type Rng };
