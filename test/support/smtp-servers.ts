import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Server,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { requirePeer } from './peers';

const run = promisify(execFile);

/** The account the SMTP servers accept (AUTH PLAIN / LOGIN, only once TLS is up). */
export const smtpAccount = { username: 'mailer', password: 'mail-pass-1' } as const;

/** What a server received of one message. */
export interface SmtpMessage {
  /** Which server took it (`starttls`, `implicit`, …). */
  server: string;
  /** TLS was up when the message was sent. */
  secure: boolean;
  /** The authenticated user, or null. */
  user: string | null;
  from: string;
  to: string[];
  /** The raw message (headers and body) as sent after DATA. */
  data: string;
}

export interface SmtpServers {
  host: string;
  /** STARTTLS on a submission port (587-style), certificate naming 127.0.0.1. */
  starttlsPort: number;
  /** TLS from the first byte (465-style), certificate naming 127.0.0.1. */
  implicitPort: number;
  /** STARTTLS with a certificate for another name (mail.other.test). */
  wrongNameStarttlsPort: number;
  /** Implicit TLS with a certificate for another name. */
  wrongNameImplicitPort: number;
  /** Accepts the TCP connection and never says a word (no greeting, no TLS). */
  silentPort: number;
  /** PEM of the throwaway CA that signed both certificates. */
  caPem: string;
  caFile: string;
  messages: SmtpMessage[];
  stop(): Promise<void>;
}

async function certificates(dir: string) {
  const openssl = requirePeer('openssl');
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(openssl, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=edgetower test SMTP CA',
  ]);
  const leaf = async (name: string, subject: string, altName: string) => {
    await run(openssl, [
      'req',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      subject,
    ]);
    await writeFile(file(`${name}.ext`), `subjectAltName=${altName}\n`);
    await run(openssl, [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
    ]);
    return { key: await readFile(file(`${name}.key`)), cert: await readFile(file(`${name}.crt`)) };
  };
  return {
    caPem: await readFile(file('ca.crt'), 'utf8'),
    caFile: file('ca.crt'),
    right: await leaf('right', '/CN=127.0.0.1', 'IP:127.0.0.1'),
    wrong: await leaf('wrong', '/CN=mail.other.test', 'DNS:mail.other.test'),
  };
}

const listen = async (server: { listen: Server['listen'] }, address: () => AddressInfo | null) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (address() as AddressInfo).port;
};

/**
 * Real SMTP servers on loopback (the `smtp-server` package, nodemailer's
 * server side) with a throwaway CA-signed certificate: STARTTLS and implicit
 * TLS, each also with a certificate for the wrong name, AUTH only over TLS;
 * plus a silent TCP server that never greets. Records every message taken.
 */
export async function startSmtpServers(): Promise<SmtpServers> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edgetower-smtp-'));
  const certs = await certificates(dir);
  const messages: SmtpMessage[] = [];
  const make = (name: string, secure: boolean, pair: { key: Buffer; cert: Buffer }) =>
    new SMTPServer({
      name: 'smtp.edgetower.test',
      secure,
      key: pair.key,
      cert: pair.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      // Real submission servers refuse AUTH in clear text: so does this one.
      allowInsecureAuth: false,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === smtpAccount.username && auth.password === smtpAccount.password)
          callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          messages.push({
            server: name,
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
  const servers = {
    starttls: make('starttls', false, certs.right),
    implicit: make('implicit', true, certs.right),
    wrongNameStarttls: make('wrong-name-starttls', false, certs.wrong),
    wrongNameImplicit: make('wrong-name-implicit', true, certs.wrong),
  };
  for (const server of Object.values(servers)) server.on('error', () => undefined);
  const held: Socket[] = [];
  const silent = createTcpServer((socket) => {
    // Never greets: the client's deadline must end this, not the server.
    held.push(socket);
    socket.on('error', () => undefined);
  });
  const port = (s: SMTPServer) => listen(s, () => s.server.address() as AddressInfo);
  return {
    host: '127.0.0.1',
    starttlsPort: await port(servers.starttls),
    implicitPort: await port(servers.implicit),
    wrongNameStarttlsPort: await port(servers.wrongNameStarttls),
    wrongNameImplicitPort: await port(servers.wrongNameImplicit),
    silentPort: await listen(silent, () => silent.address() as AddressInfo),
    caPem: certs.caPem,
    caFile: certs.caFile,
    messages,
    async stop() {
      for (const socket of held) socket.destroy();
      await Promise.all([
        ...Object.values(servers).map((s) => new Promise<void>((r) => s.close(() => r()))),
        new Promise<void>((r) => silent.close(() => r())),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
