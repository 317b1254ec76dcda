import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RfqClient } from '@app/sdk';
import { freePort, RunningProcess, startProcess } from './processes.js';
import type { TestEnv } from './test-env.js';

export interface SeededKey {
  account: string;
  role: string;
  keyId: string;
  secret: string;
}

export interface Platform {
  baseUrl: string;
  ports: number[];
  keys: Map<string, SeededKey>;
  client(account: string, baseUrl?: string): RfqClient;
  processes: RunningProcess[];
  startGateway(extraEnv?: Record<string, string>): Promise<{ baseUrl: string; process: RunningProcess }>;
  stop(): Promise<void>;
}

/** Seeds the test database and starts the built apps as separate processes, as deployed. */
export async function startPlatform(
  env: TestEnv,
  options: { quoter?: boolean; extraEnv?: Record<string, string> } = {},
): Promise<Platform> {
  const keysFile = join(tmpdir(), `${env.name}-keys.json`);
  execFileSync(process.execPath, ['dist/scripts/seed.js', '--quiet', '--keys-file', keysFile], {
    env: { ...process.env, ...env.overrides },
  });
  const keys = new Map(
    (JSON.parse(readFileSync(keysFile, 'utf8')) as SeededKey[]).map((k) => [k.account, k]),
  );
  rmSync(keysFile);
  const appEnv = { ...env.overrides, ...options.extraEnv };
  const processes: RunningProcess[] = [];
  processes.push(
    await startProcess('dist/apps/engine/src/main.js', { ...appEnv, LOG_LEVEL: 'info' }, /engine running/),
  );
  if (options.quoter)
    processes.push(
      await startProcess('dist/apps/quoter/src/main.js', { ...appEnv, LOG_LEVEL: 'info' }, /quoter running/),
    );
  const ports: number[] = [];
  const startGateway = async (extraEnv: Record<string, string> = {}) => {
    const port = await freePort();
    ports.push(port);
    const process = await startProcess(
      'dist/apps/gateway/src/main.js',
      { ...appEnv, ...extraEnv, PORT: String(port), LOG_LEVEL: 'info' },
      /listening on/,
    );
    processes.push(process);
    return { baseUrl: `http://127.0.0.1:${port}`, process };
  };
  const first = await startGateway();
  return {
    baseUrl: first.baseUrl,
    ports,
    keys,
    processes,
    startGateway,
    client(account, baseUrl = first.baseUrl) {
      const k = keys.get(account);
      if (!k) throw new Error(`no key for ${account}`);
      return new RfqClient(baseUrl, { apiKey: k.keyId, secret: k.secret });
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    },
  };
}
