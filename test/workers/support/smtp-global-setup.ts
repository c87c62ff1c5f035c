import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { smtpAccount, startSmtpServers } from '../../support/smtp-servers';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Real SMTP servers with TLS on loopback (test/support/smtp-servers.ts) and where to read what they took. */
    smtp: {
      host: string;
      starttlsPort: number;
      implicitPort: number;
      wrongNameStarttlsPort: number;
      wrongNameImplicitPort: number;
      silentPort: number;
      username: string;
      password: string;
      /** GET returns every message taken, as SmtpMessage[]. */
      messagesUrl: string;
    };
  }
}

/**
 * Starts the SMTP servers in Node (workerd cannot listen) and makes workerd
 * trust their CA: workerd reads OpenSSL's SSL_CERT_FILE, which an earlier
 * global setup (identity) may have pointed at a bundle already, so this one
 * extends whatever is there. Must run after identity-global-setup.ts.
 */
export default async function setup(project: TestProject) {
  const smtp = await startSmtpServers();
  const current = process.env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt';
  const trusted = await readFile(current, 'utf8').catch(() => '');
  const bundle = `${smtp.caFile}.bundle.pem`;
  await writeFile(bundle, `${trusted}\n${smtp.caPem}`);
  process.env.SSL_CERT_FILE = bundle;
  const http = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(smtp.messages));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  project.provide('smtp', {
    host: smtp.host,
    starttlsPort: smtp.starttlsPort,
    implicitPort: smtp.implicitPort,
    wrongNameStarttlsPort: smtp.wrongNameStarttlsPort,
    wrongNameImplicitPort: smtp.wrongNameImplicitPort,
    silentPort: smtp.silentPort,
    ...smtpAccount,
    messagesUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
  });
  return async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await smtp.stop();
  };
}
