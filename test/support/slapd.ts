import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requirePeer } from './peers';
import { freePort } from './wrangler-dev';

const run = promisify(execFile);

/** The seeded directory every LDAP test and bench signs in against. */
export const ldapDirectory = {
  suffix: 'dc=example,dc=org',
  managerDN: 'cn=admin,dc=example,dc=org',
  managerPassword: 'manager-secret',
  userSearchBase: 'ou=people,dc=example,dc=org',
  groupSearchBase: 'ou=groups,dc=example,dc=org',
  users: {
    // `_`, `.` and mixed case: KubeSphere #4267 rejected such names.
    alice: { uid: 'Alice_Smith.ops', password: 'alice-ldap-pass', mail: 'alice@example.org' },
    bob: { uid: 'bob', password: 'bob-ldap-pass', mail: 'bob@example.org' },
  },
  groups: { developers: ['Alice_Smith.ops', 'bob'], operators: ['Alice_Smith.ops'] },
} as const;

export interface Slapd {
  host: string;
  /** LDAPS (TLS from the first byte) on the same host. */
  ldapsPort: number;
  /** Another name of the same server (`localhost`), absent from its certificate. */
  otherHost: string;
  port: number;
  /** PEM of the CA that signed slapd's certificate (for StartTLS). */
  caPem: string;
  caFile: string;
  stop(): Promise<void>;
}

export interface SlapdOptions {
  /**
   * A CA of its own that the caller keeps out of every trust store, and a
   * certificate naming `localhost` only (DNS), with serverAuth: what a
   * directory behind a company CA looks like. Default: a certificate for
   * 127.0.0.1 whose CA the caller trusts (SSL_CERT_FILE).
   */
  privateCa?: boolean;
}

async function makeCertificates(dir: string, options: SlapdOptions) {
  const serverName = options.privateCa ? 'localhost' : '127.0.0.1';
  const file = (name: string) => path.join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    options.privateCa ? '/CN=edgetower private LDAP CA (untrusted)' : '/CN=edgetower test LDAP CA',
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${serverName}`,
  ]);
  await writeFile(
    file('ext.cnf'),
    options.privateCa
      ? 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
      : 'subjectAltName=IP:127.0.0.1\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
  ]);
}

function seedLdif(): string {
  const d = ldapDirectory;
  const entries = [
    `dn: ${d.suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example`,
    `dn: ${d.userSearchBase}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${d.groupSearchBase}\nobjectClass: organizationalUnit\nou: groups`,
    ...Object.values(d.users).map(
      (u) =>
        `dn: uid=${u.uid},${d.userSearchBase}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.uid} Display\nsn: ${u.uid}\nmail: ${u.mail}\nuserPassword: ${u.password}`,
    ),
    ...Object.entries(d.groups).map(
      ([cn, members]) =>
        `dn: cn=${cn},${d.groupSearchBase}\nobjectClass: groupOfNames\ncn: ${cn}\n${members
          .map((m) => `member: uid=${m},${d.userSearchBase}`)
          .join('\n')}`,
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}):\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    }).then((ok) => ok);
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd did not listen on ${port}:\n${output()}`);
}

/**
 * Starts a real OpenLDAP slapd on a loopback port with a throwaway config
 * (slapd.conf, mdb backend), a CA-signed certificate for StartTLS and the
 * seeded directory of `ldapDirectory`.
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'edgetower-slapd-'));
  const data = path.join(dir, 'data');
  await mkdir(data);
  await makeCertificates(dir, options);
  const d = ldapDirectory;
  const conf = [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map(
      (s) => `include /etc/ldap/schema/${s}.schema`,
    ),
    `pidfile ${dir}/slapd.pid`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCACertificateFile ${dir}/ca.crt`,
    `TLSCertificateFile ${dir}/server.crt`,
    `TLSCertificateKeyFile ${dir}/server.key`,
    'database mdb',
    `suffix "${d.suffix}"`,
    `rootdn "${d.managerDN}"`,
    `rootpw ${d.managerPassword}`,
    `directory ${data}`,
    'maxsize 10485760',
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by * read',
  ].join('\n');
  await writeFile(path.join(dir, 'slapd.conf'), `${conf}\n`);
  const port = await freePort();
  const ldapsPort = await freePort();
  const url = `ldap://127.0.0.1:${port}/`;
  const child = spawn(
    requirePeer('slapd'),
    ['-f', path.join(dir, 'slapd.conf'), '-h', `${url} ldaps://127.0.0.1:${ldapsPort}/`, '-d', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (b) => {
    out += b;
  });
  child.stderr?.on('data', (b) => {
    out += b;
  });
  await waitForPort(port, child, () => out);
  await waitForPort(ldapsPort, child, () => out);
  await writeFile(path.join(dir, 'seed.ldif'), seedLdif());
  await run(requirePeer('ldapadd'), [
    '-x',
    '-H',
    url,
    '-D',
    d.managerDN,
    '-w',
    d.managerPassword,
    '-f',
    path.join(dir, 'seed.ldif'),
  ]);
  const { readFile } = await import('node:fs/promises');
  const caPem = await readFile(path.join(dir, 'ca.crt'), 'utf8');
  return {
    host: '127.0.0.1',
    otherHost: 'localhost',
    port,
    ldapsPort,
    caPem,
    caFile: path.join(dir, 'ca.crt'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
