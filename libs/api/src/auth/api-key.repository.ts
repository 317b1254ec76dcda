import { Injectable } from '@nestjs/common';
import { AppConfig, decryptSecret, sha256Hex } from '@app/core';
import { PrismaService } from '@app/db';

export type Scope = 'read' | 'trade' | 'admin';

export interface ResolvedKey {
  keyId: string;
  secret: string;
  accountId: string;
  accountName: string;
  role: 'TAKER' | 'MAKER' | 'ADMIN' | 'SYSTEM';
  scopes: Scope[];
  revoked: boolean;
}

const CACHE_MS = 5_000;

/**
 * API keys with their decrypted secrets, cached for a few seconds: a revocation takes effect
 * within that time on every gateway instance.
 */
@Injectable()
export class ApiKeyRepository {
  private readonly cache = new Map<string, { at: number; key: ResolvedKey | null }>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly config: AppConfig,
  ) {}

  async find(keyId: string): Promise<ResolvedKey | null> {
    const hit = this.cache.get(keyId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.key;
    const row = await this.prisma.apiKey.findUnique({ where: { id: keyId }, include: { account: true } });
    let key: ResolvedKey | null = null;
    if (row) {
      const secret = decryptSecret(row.secretCipher, this.config.API_KEY_ENCRYPTION_KEY);
      if (sha256Hex(secret) === row.secretHash) {
        key = {
          keyId: row.id,
          secret,
          accountId: row.accountId,
          accountName: row.account.name,
          role: row.account.role,
          scopes: row.scopes.map((s) => s.toLowerCase() as Scope),
          revoked: row.revokedAt !== null,
        };
      }
    }
    this.cache.set(keyId, { at: Date.now(), key });
    return key;
  }

  forget(keyId: string): void {
    this.cache.delete(keyId);
  }
}
