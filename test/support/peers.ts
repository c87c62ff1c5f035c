import { locatePeer, type PeerName, peers } from '../../scripts/peers';

/**
 * The path of a real peer the calling test needs. A missing peer is an error,
 * never a skip: `npm test` installs the peers before any test runs
 * (scripts/peers.ts), so one that is absent here means the set-up was
 * bypassed, and the tests that need it must say so loudly.
 */
export function requirePeer(name: PeerName): string {
  const found = locatePeer(peers[name]);
  if (found) return found;
  throw new Error(
    `${name} is not installed (${peers[name].usedBy}). ` +
      '`npm test` installs it first; or run `npx tsx scripts/peers.ts ensure`.',
  );
}
