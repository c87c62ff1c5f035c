import { LazyReadFunctionReadQueue, startTls as subtlsStartTls } from 'subtls';

/**
 * A byte stream to the directory: the socket itself, the runtime's TLS
 * (`secureTransport` / `socket.startTls()`, verified against the runtime's
 * trust store), or TLS run here over the plain socket when the provider names
 * its own CA (`rootCA`): the Workers socket API takes no CA, so the
 * handshake and the certificate checks against that CA are done in
 * JavaScript (subtls: TLS 1.3, P-256, AES-128-GCM; chain to the CA, DNS
 * subjectAltName, validity, CertificateVerify, Finished).
 */
export interface Channel {
  /** The next bytes, or undefined at the end of the stream. */
  read(): Promise<Uint8Array | undefined>;
  write(bytes: Uint8Array): Promise<void>;
  /** Hands the socket back (for the runtime's startTls); the channel is unusable after. */
  release(): void;
}

/** The socket's own streams (plain, or the runtime's TLS). */
export function socketChannel(socket: Socket): Channel {
  const reader = socket.readable.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const writer = socket.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
  return {
    read: async () => {
      const chunk = await reader.read();
      return chunk.done ? undefined : chunk.value;
    },
    write: (bytes) => writer.write(bytes),
    release: () => {
      reader.releaseLock();
      writer.releaseLock();
    },
  };
}

/**
 * TLS 1.3 over `plain`, trusting only `rootCaPem` (as KubeSphere's LDAP
 * provider trusts only its rootCA/rootCAData pool). Throws when the
 * handshake or any certificate check fails.
 */
export async function rootCaTlsChannel(
  plain: Channel,
  host: string,
  rootCaPem: string,
): Promise<Channel> {
  const queue = new LazyReadFunctionReadQueue(() => plain.read());
  let writeFailure: unknown;
  let writes = Promise.resolve();
  const networkWrite = (bytes: Uint8Array) => {
    // subtls writes without waiting; keep the order and remember a failure for the next read.
    writes = writes
      .then(() => plain.write(bytes))
      .catch((error: unknown) => {
        writeFailure = error;
      });
  };
  // subtls also peeks (a second, read-mode argument): hand it the queue's own read.
  const tls = await subtlsStartTls(host, rootCaPem, queue.read.bind(queue), networkWrite, {
    // The CA's own keyUsage: many private CAs carry keyCertSign only.
    requireDigitalSigKeyUsage: false,
  });
  return {
    read: async () => {
      if (writeFailure) throw writeFailure;
      return tls.read();
    },
    write: async (bytes) => {
      await tls.write(bytes);
      await writes;
      if (writeFailure) throw writeFailure;
    },
    release: () => plain.release(),
  };
}
