/**
 * Runs the emulator on its own, for trying the agent by hand:
 *   npx tsx test/support/kube-emulator/cli.ts --pods 1000 --nodes 20 --kubeconfig /tmp/kubeconfig
 *   npm run agent -- --hub http://127.0.0.1:8787 --token <join token> --kubeconfig /tmp/kubeconfig
 */
import { parseArgs } from 'node:util';
import { startKubeEmulator } from './index';
import { writeKubeconfig } from './kubeconfig';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    nodes: { type: 'string', default: '3' },
    'edge-nodes': { type: 'string', default: '1' },
    namespaces: { type: 'string', default: '3' },
    workspaces: { type: 'string', default: '2' },
    pods: { type: 'string', default: '30' },
    'warning-events': { type: 'string', default: '5' },
    kubeconfig: { type: 'string', default: 'emulator.kubeconfig' },
    token: { type: 'string' },
  },
});
const int = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
};

const emulator = await startKubeEmulator({
  port: int('port'),
  token: values.token,
  cluster: {
    nodes: int('nodes'),
    edgeNodes: int('edge-nodes'),
    namespaces: int('namespaces'),
    workspaces: int('workspaces'),
    pods: int('pods'),
    warningEvents: int('warning-events'),
  },
});
// The namespace the agent manifest creates: where the agents' Lease lives.
emulator.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
await writeKubeconfig(values.kubeconfig as string, emulator);
console.log(
  JSON.stringify({ url: emulator.url, token: emulator.token, kubeconfig: values.kubeconfig }),
);
process.on('SIGINT', () => void emulator.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
