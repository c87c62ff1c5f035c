/**
 * Reads the few values the keadm join command needs from KubeEdge's
 * cloudcore.yaml. The file is machine-written with plain block mappings and
 * lists, so a path walk over indentation is enough; the Worker carries no
 * YAML library for four scalars.
 */
export interface CloudcoreEndpoints {
  advertiseAddresses: string[];
  websocketPort: number;
  quicPort: number;
  certPort: number;
  tunnelPort: number;
}

interface Entry {
  path: string;
  value: string;
}

function entries(yaml: string): Entry[] {
  const out: Entry[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (const raw of yaml.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    const item = /^-\s+(.*)$/.exec(text);
    if (item) {
      // List items belong to the nearest key at or above this indentation.
      while (stack.length && stack.at(-1)!.indent > indent) stack.pop();
      out.push({ path: stack.map((s) => s.key).join('.'), value: unquote(item[1] ?? '') });
      continue;
    }
    const pair = /^([\w.-]+):\s*(.*)$/.exec(text);
    if (!pair) continue;
    while (stack.length && stack.at(-1)!.indent >= indent) stack.pop();
    const key = pair[1] ?? '';
    const value = pair[2] ?? '';
    if (value === '') stack.push({ indent, key });
    else out.push({ path: [...stack.map((s) => s.key), key].join('.'), value: unquote(value) });
  }
  return out;
}

const unquote = (v: string) => v.replace(/^(['"])(.*)\1$/, '$2');

export function parseCloudcoreConfig(yaml: string): CloudcoreEndpoints {
  const all = entries(yaml);
  const scalar = (path: string) => all.find((e) => e.path === path)?.value;
  const port = (path: string, fallback: number) => {
    const value = Number(scalar(path));
    return Number.isInteger(value) && value > 0 && value < 65536 ? value : fallback;
  };
  const listed = all
    .filter((e) => e.path === 'modules.cloudHub.advertiseAddress')
    .map((e) => e.value);
  // Inline form: advertiseAddress: [1.2.3.4]
  const inline = scalar('modules.cloudHub.advertiseAddress');
  const advertiseAddresses = inline
    ? inline
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((s) => unquote(s.trim()))
        .filter(Boolean)
    : listed;
  return {
    advertiseAddresses,
    websocketPort: port('modules.cloudHub.websocket.port', 10000),
    quicPort: port('modules.cloudHub.quic.port', 10001),
    certPort: port('modules.cloudHub.https.port', 10002),
    tunnelPort: port('modules.cloudStream.tunnelPort', 10004),
  };
}
