import { bytesToBase64 } from '../../../lib/crypto/base64';

const encoder = new TextEncoder();

/** Base64 of HMAC-SHA256(key, message): what DingTalk and Feishu signatures are made of. */
export async function hmacBase64(key: string, message: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return bytesToBase64(
    new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message))),
  );
}
