/**
 * FAL's webhook signatures (protocols.md 4.4): Ed25519 over
 * `request_id \n user_id \n timestamp \n hex(sha256(body))`, one keypair per sandbox, the public key
 * served as a JWKS the way FAL serves its own.
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

export class FalWebhookSigner {
  private readonly keys = generateKeyPairSync('ed25519');
  readonly userId = `sandbox-user-${randomUUID().slice(0, 8)}`;

  jwks(): { keys: { kty: string; crv: string; x: string; kid: string; use: string }[] } {
    const jwk = this.keys.publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
    return { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: 'easel-sandbox', use: 'sig' }] };
  }

  headers(requestId: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
    const digest = createHash('sha256').update(body).digest('hex');
    const message = Buffer.from(`${requestId}\n${this.userId}\n${timestamp}\n${digest}`, 'utf8');
    return {
      'x-fal-webhook-request-id': requestId,
      'x-fal-webhook-user-id': this.userId,
      'x-fal-webhook-timestamp': String(timestamp),
      'x-fal-webhook-signature': sign(null, message, this.keys.privateKey).toString('hex'),
    };
  }
}
