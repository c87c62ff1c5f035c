import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der';

/** A certificate with its private key, both PEM. */
export interface KeyPairPem {
  cert: string;
  key: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const DAY_MS = 86_400_000;
const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
const name = (commonName: string) =>
  sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
const extension = (oid: string, critical: boolean, value: Buffer) =>
  sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, full length
  return unsignedInteger(bytes);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // For P-256 the BIT STRING is the SPKI's last 65 bytes (uncompressed point).
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

function subjectAltNames(hosts: readonly string[]): Buffer {
  return sequence(
    ...hosts.map((host) => {
      if (isIP(host) === 4) return implicitPrimitive(7, Buffer.from(host.split('.').map(Number)));
      return implicitPrimitive(2, Buffer.from(host, 'ascii'));
    }),
  );
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  authorityKeyId: Buffer;
  validDays: number;
  extensions: Buffer[];
}

function certificate(spec: CertificateSpec, now: Date): string {
  const notBefore = new Date(now.getTime() - 3600_000); // tolerate API servers with a slow clock
  const notAfter = new Date(now.getTime() + spec.validDays * DAY_MS);
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    serialNumber(),
    signatureAlgorithm,
    name(spec.issuer),
    sequence(time(notBefore), time(notAfter)),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        ...spec.extensions,
        extension(OID.subjectKeyId, false, octetString(keyIdentifier(spec.publicKey))),
        extension(OID.authorityKeyId, false, sequence(implicitPrimitive(0, spec.authorityKeyId))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, spec.signingKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const newKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A self-signed CA (ECDSA P-256) that can sign serving certificates only. */
export function createCertificateAuthority(commonName: string, now = new Date()): KeyPairPem {
  const { publicKey, privateKey } = newKeyPair();
  const cert = certificate(
    {
      subject: commonName,
      issuer: commonName,
      publicKey,
      signingKey: privateKey,
      authorityKeyId: keyIdentifier(publicKey),
      validDays: 3650,
      extensions: [
        extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
        // keyCertSign | cRLSign | digitalSignature
        extension(OID.keyUsage, true, bitString(Buffer.from([0x86]), 1)),
      ],
    },
    now,
  );
  return { cert, key: pemOf(privateKey) };
}

/** A TLS serving certificate for `hosts` (DNS names or IPv4 addresses), signed by `ca`. */
export function issueServingCertificate(
  ca: { cert: string; key: KeyObject; publicKey: KeyObject; subject: string },
  hosts: readonly string[],
  now = new Date(),
): KeyPairPem {
  const { publicKey, privateKey } = newKeyPair();
  const cert = certificate(
    {
      subject: hosts[0] ?? 'edgetower-agent',
      issuer: ca.subject,
      publicKey,
      signingKey: ca.key,
      authorityKeyId: keyIdentifier(ca.publicKey),
      validDays: 365,
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, subjectAltNames(hosts)),
      ],
    },
    now,
  );
  return { cert, key: pemOf(privateKey) };
}

/**
 * A TLS client certificate (clientAuth) for `commonName`, signed by `ca`:
 * what the API server presents to the webhook under --webhook-client-ca
 * (tests make one; in a cluster the operator's PKI issues it).
 */
export function issueClientCertificate(
  ca: { cert: string; key: KeyObject; publicKey: KeyObject; subject: string },
  commonName: string,
  now = new Date(),
): KeyPairPem {
  const { publicKey, privateKey } = newKeyPair();
  const cert = certificate(
    {
      subject: commonName,
      issuer: ca.subject,
      publicKey,
      signingKey: ca.key,
      authorityKeyId: keyIdentifier(ca.publicKey),
      validDays: 365,
      extensions: [
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.clientAuth))),
      ],
    },
    now,
  );
  return { cert, key: pemOf(privateKey) };
}
