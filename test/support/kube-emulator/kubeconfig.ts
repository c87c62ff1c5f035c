import { writeFile } from 'node:fs/promises';

/**
 * Writes a kubeconfig pointing at the emulator with a bearer token.
 * client-node refuses plain http unless the cluster skips TLS verification,
 * so http URLs get `insecure-skip-tls-verify: true`.
 */
export async function writeKubeconfig(
  path: string,
  target: { url: string; token: string },
): Promise<void> {
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: emulator
  cluster:
    server: ${JSON.stringify(target.url)}${target.url.startsWith('http:') ? '\n    insecure-skip-tls-verify: true' : ''}
users:
- name: emulator
  user:
    token: ${JSON.stringify(target.token)}
contexts:
- name: emulator
  context:
    cluster: emulator
    user: emulator
current-context: emulator
`;
  await writeFile(path, yaml, { mode: 0o600 });
}
