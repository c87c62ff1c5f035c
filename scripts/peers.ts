/**
 * The real programs the tests talk to instead of stubs, in one list: `npm
 * test` makes them present before any test runs (installing them with apt on
 * Debian as root, as CI does), and the tests that need one ask for it by
 * name through test/support/peers.ts, failing loudly when it is missing.
 *
 *   tsx scripts/peers.ts ensure   present, installed if possible, else one message and exit 1
 *   tsx scripts/peers.ts check    exit 1 listing what is missing (installs nothing)
 *   tsx scripts/peers.ts list     the list, and what uses each
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Peer {
  /** The program, by name (looked up on PATH and in /usr/sbin) or by absolute path. */
  binary: string;
  /** Debian packages that provide it, first one the archive has wins. */
  packages: string[];
  /** What needs it, for the messages. */
  usedBy: string;
}

export const peers = {
  slapd: {
    binary: '/usr/sbin/slapd',
    packages: ['slapd'],
    usedBy: 'LDAP identity tests (test/support/slapd.ts)',
  },
  ldapadd: {
    binary: 'ldapadd',
    packages: ['ldap-utils'],
    usedBy: 'seeding the test LDAP directory',
  },
  prometheus: {
    binary: 'prometheus',
    packages: ['prometheus'],
    usedBy: 'alerting end-to-end tests (a stock Prometheus posting alerts)',
  },
  amtool: {
    binary: 'amtool',
    packages: ['prometheus-alertmanager'],
    usedBy: 'alerting end-to-end tests (amtool against the edge)',
  },
  chromium: {
    binary: 'chromium',
    packages: ['chromium'],
    usedBy: 'dashboard tests in a real browser (test/support/browser.ts)',
  },
  kubectl: {
    binary: 'kubectl',
    // The image's own kubectl package where the archive has it, else Debian's build.
    packages: ['kubectl', 'kubernetes-client'],
    usedBy: 'the real-kubectl end-to-end test through the kube proxy',
  },
  openssl: {
    binary: 'openssl',
    packages: ['openssl'],
    usedBy: 'test certificates (kubectl over TLS, LDAPS)',
  },
} satisfies Record<string, Peer>;

export type PeerName = keyof typeof peers;

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Where the peer's program is, or undefined when it is not installed. */
export function locatePeer(peer: Peer): string | undefined {
  if (path.isAbsolute(peer.binary)) return isExecutable(peer.binary) ? peer.binary : undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, peer.binary);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

export const missingPeers = (): [PeerName, Peer][] =>
  (Object.entries(peers) as [PeerName, Peer][]).filter(([, peer]) => !locatePeer(peer));

const canInstallWithApt = () =>
  process.platform === 'linux' &&
  existsSync('/etc/debian_version') &&
  typeof process.getuid === 'function' &&
  process.getuid() === 0 &&
  spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

/** The first of a peer's packages that apt can install (needs an updated package list). */
function installablePackage(peer: Peer): string {
  for (const name of peer.packages) {
    const policy = spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' });
    const candidate = /Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1];
    if (candidate && candidate !== '(none)') return name;
  }
  return peer.packages[0] ?? peer.binary;
}

const installCommand = (missing: [PeerName, Peer][]) =>
  `sudo apt-get install -y ${[...new Set(missing.map(([, p]) => p.packages[0]))].join(' ')}`;

function describe(missing: [PeerName, Peer][]): string {
  const lines = missing.map(([name, peer]) => `  - ${name}: ${peer.usedBy}`);
  return [
    `The tests need ${missing.length} program(s) that are not installed:`,
    ...lines,
    `Install them with: ${installCommand(missing)}`,
    '(on Debian or Ubuntu as root, `npm test` installs them itself)',
  ].join('\n');
}

function aptInstall(missing: [PeerName, Peer][]): boolean {
  console.log(`peers: installing with apt: ${missing.map(([n]) => n).join(', ')}`);
  console.log('peers: [1/2] apt-get update');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status !== 0) return false;
  const packages = [...new Set(missing.map(([, peer]) => installablePackage(peer)))];
  console.log(`peers: [2/2] apt-get install -y ${packages.join(' ')}`);
  const install = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'inherit',
    env,
  });
  return install.status === 0;
}

/** Makes every peer present, or says in one message what is missing and how to install it. */
export function ensurePeers(): boolean {
  const missing = missingPeers();
  if (missing.length === 0) return true;
  if (canInstallWithApt() && aptInstall(missing)) {
    const still = missingPeers();
    if (still.length === 0) {
      console.log('peers: all installed');
      return true;
    }
    console.error(describe(still));
    return false;
  }
  console.error(describe(missing));
  return false;
}

const usage = `Usage: tsx scripts/peers.ts <command>

The real programs the tests run against (LDAP, Prometheus, Alertmanager's
amtool, Chromium, kubectl, openssl). npm test runs "ensure" first.

Commands:
  ensure   make them present: install the missing ones with apt on Debian
           as root, otherwise print what is missing and exit 1
  check    exit 1 and list what is missing; installs nothing
  list     every peer, where it is, and what uses it
  --help   this text`;

function main(argv: string[]): number {
  const command = argv[0] ?? '--help';
  switch (command) {
    case 'ensure':
      return ensurePeers() ? 0 : 1;
    case 'check': {
      const missing = missingPeers();
      if (missing.length > 0) console.error(describe(missing));
      return missing.length === 0 ? 0 : 1;
    }
    case 'list':
      for (const [name, peer] of Object.entries(peers) as [PeerName, Peer][])
        console.log(
          `${name.padEnd(11)} ${(locatePeer(peer) ?? 'MISSING').padEnd(22)} ${peer.usedBy}`,
        );
      return 0;
    case '--help':
    case '-h':
    case 'help':
      console.log(usage);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${usage}`);
      return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
