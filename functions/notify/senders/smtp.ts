import type { Env } from '../../env';
import { connectHostname, normalizeHost } from '../../net/host';
import { hostProblem, TargetRefused } from '../target-check';
import { composeText } from '../templates/compose';
import { defaultDeadlines, type SmtpDeadlines, SmtpSession, type SmtpTls } from './smtp-session';
import type { SendInput } from './types';
import { str } from './types';

/** RFC 2047 encoded-word, so non-ASCII subjects survive. */
const encodeHeader = (text: string) =>
  /^[\x20-\x7e]*$/.test(text)
    ? text
    : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}?=`;

/** Base64 of UTF-8 text in 76-character lines (RFC 2045). */
function base64Lines(text: string): string {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  return b64.replace(/.{1,76}/g, '$&\r\n').trimEnd();
}

export function emailMessage(
  from: string,
  to: string[],
  subject: string,
  body: string,
  id: string,
): string {
  return [
    `From: ${from}`,
    `To: ${to.join(', ')}`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${id}@edgetower>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(body),
  ].join('\r\n');
}

/**
 * The TLS mode of an SMTP channel: `tls` when set; else no TLS for the old
 * `startTls: false`; else by port, as mail clients do: 465 speaks TLS from
 * the first byte (RFC 8314), anything else upgrades with STARTTLS.
 */
export function smtpTls(config: SendInput['config']): SmtpTls {
  if (config.tls === 'implicit' || config.tls === 'starttls' || config.tls === 'none')
    return config.tls;
  if (config.startTls === false) return 'none';
  return smtpPort(config) === 465 ? 'implicit' : 'starttls';
}

export const smtpPort = (config: SendInput['config']) =>
  typeof config.smtpPort === 'number' ? config.smtpPort : 587;

/** The channel's `timeoutSeconds`, when set, bounds every step alike; else the defaults. */
function deadlinesOf(config: SendInput['config']): SmtpDeadlines {
  const seconds = config.timeoutSeconds;
  if (typeof seconds !== 'number' || !(seconds > 0)) return defaultDeadlines;
  const ms = seconds * 1000;
  return { connect: ms, tls: ms, reply: ms, total: defaultDeadlines.total };
}

/**
 * Email over SMTP through Workers TCP sockets (`cloudflare:sockets`):
 * implicit TLS or EHLO + STARTTLS (then EHLO again), AUTH PLAIN when a
 * username is set, one message to every recipient; every step under a
 * deadline. Throws what went wrong (SmtpReplyError for a refusing reply).
 */
export async function sendEmail(env: Env, input: SendInput): Promise<undefined> {
  const configured = str(input.config, 'smtpHost');
  const problem = hostProblem(env, configured);
  if (problem) throw new TargetRefused(problem);
  // Connect to the spelling that was judged, so no parser reads the host differently.
  const canonical = normalizeHost(configured) ?? configured;
  const port = smtpPort(input.config);
  const tls = smtpTls(input.config);
  const from = str(input.config, 'from');
  const to = Array.isArray(input.config.to)
    ? input.config.to.filter((t): t is string => typeof t === 'string')
    : [];
  const session = await SmtpSession.open(
    connectHostname(canonical),
    port,
    tls,
    deadlinesOf(input.config),
  );
  try {
    await session.expect('greeting', 220);
    await session.command('EHLO', 'EHLO edgetower', 250);
    if (tls === 'starttls') {
      await session.command('STARTTLS', 'STARTTLS', 220);
      session.upgrade(canonical);
      await session.command('TLS handshake and EHLO', 'EHLO edgetower', 250);
    }
    const username = str(input.config, 'username');
    if (username)
      await session.command(
        'AUTH',
        `AUTH PLAIN ${btoa(`\u0000${username}\u0000${str(input.config, 'password')}`)}`,
        235,
      );
    await session.command('MAIL FROM', `MAIL FROM:<${from}>`, 250);
    for (const rcpt of to) await session.command('RCPT TO', `RCPT TO:<${rcpt}>`, 250, 251);
    await session.command('DATA', 'DATA', 354);
    const { title, text } = composeText(input.payload, input.config);
    const message = emailMessage(from, to, title, text, input.notificationId);
    // Dot-stuffing: a line starting with "." gets another one.
    await session.command('end of data', `${message.replace(/\r\n\./g, '\r\n..')}\r\n.`, 250);
    await session.command('QUIT', 'QUIT', 221).catch(() => undefined);
    return undefined;
  } finally {
    await session.close();
  }
}
