import type { Env } from '../../env';
import { linesOf, titleOf } from '../message-text';
import type { SendInput } from './types';
import { str } from './types';

/**
 * Email over SMTP through Workers TCP sockets (`cloudflare:sockets`) with
 * STARTTLS. Not implemented yet: refuses clearly so the delivery is
 * recorded as failing rather than silently dropped.
 */
export async function sendEmail(_env: Env, input: SendInput): Promise<string | undefined> {
  const subject = titleOf(input.payload);
  const body = linesOf(input.payload).join('\r\n');
  return `email via SMTP (${str(input.config, 'smtpHost')}) is not available yet; message "${subject}" (${body.length} bytes) not sent`;
}
