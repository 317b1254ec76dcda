import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * API key secrets. Verifying an HMAC signature needs the secret itself, so a one-way hash alone
 * cannot work: the secret is stored encrypted (AES-256-GCM under API_KEY_ENCRYPTION_KEY) next to
 * its SHA-256, which proves that a decryption gave back the issued secret.
 */
export interface IssuedApiKey {
  keyId: string;
  secret: string;
  secretHash: string;
  secretCipher: string;
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

export function issueApiKey(encryptionKeyHex: string): IssuedApiKey {
  const keyId = `ak_${randomBytes(9).toString('base64url')}`;
  const secret = randomBytes(32).toString('base64url');
  return {
    keyId,
    secret,
    secretHash: sha256Hex(secret),
    secretCipher: encryptSecret(secret, encryptionKeyHex),
  };
}

export function encryptSecret(secret: string, encryptionKeyHex: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(encryptionKeyHex, 'hex'), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export function decryptSecret(stored: string, encryptionKeyHex: string): string {
  const [iv, tag, body] = stored.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) throw new Error('malformed secret cipher');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(encryptionKeyHex, 'hex'), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
