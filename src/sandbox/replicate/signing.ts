/**
 * Webhook signatures, Standard-Webhooks style (protocols.md 3.6): one `whsec_<base64>` secret per
 * sandbox, served at `GET /v1/webhooks/default/secret`; each delivery carries `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`.
 */
import { createHmac, randomBytes } from 'node:crypto';

export class WebhookSigner {
  readonly secret = `whsec_${randomBytes(32).toString('base64')}`;
  private readonly key = Buffer.from(this.secret.slice('whsec_'.length), 'base64');

  headers(body: string, id = `msg_${randomBytes(12).toString('hex')}`, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
    const signature = createHmac('sha256', this.key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
  }
}
