/** The console's four languages; a channel's messages are written in one of them. */
export const languages = ['en', 'zh', 'zh-TW', 'es'] as const;
export type Language = (typeof languages)[number];

/** The words a default message is made of. */
export interface Words {
  firing: string;
  resolved: string;
  cluster: string;
  workspace: string;
  namespace: string;
  node: string;
  pod: string;
  /** Link to the alert's source (Prometheus graph). */
  source: string;
  more: (n: number) => string;
  truncated: string;
  /** Separator of "label value" pairs inside the parentheses. */
  comma: string;
  open: string;
  close: string;
}

export const words: Record<Language, Words> = {
  en: {
    firing: 'FIRING',
    resolved: 'RESOLVED',
    cluster: 'cluster',
    workspace: 'workspace',
    namespace: 'namespace',
    node: 'node',
    pod: 'pod',
    source: 'source',
    more: (n) => `… and ${n} more`,
    truncated: '…(truncated)',
    comma: ', ',
    open: ' (',
    close: ')',
  },
  zh: {
    firing: '告警中',
    resolved: '已恢复',
    cluster: '集群',
    workspace: '企业空间',
    namespace: '项目',
    node: '节点',
    pod: '容器组',
    source: '来源',
    more: (n) => `……另有 ${n} 条`,
    truncated: '……（已截断）',
    comma: '，',
    open: '（',
    close: '）',
  },
  'zh-TW': {
    firing: '告警中',
    resolved: '已恢復',
    cluster: '叢集',
    workspace: '企業空間',
    namespace: '專案',
    node: '節點',
    pod: '容器組',
    source: '來源',
    more: (n) => `……另有 ${n} 條`,
    truncated: '……（已截斷）',
    comma: '，',
    open: '（',
    close: '）',
  },
  es: {
    firing: 'ACTIVA',
    resolved: 'RESUELTA',
    cluster: 'clúster',
    workspace: 'espacio de trabajo',
    namespace: 'proyecto',
    node: 'nodo',
    pod: 'pod',
    source: 'origen',
    more: (n) => `… y ${n} más`,
    truncated: '…(truncado)',
    comma: ', ',
    open: ' (',
    close: ')',
  },
};

export const wordsOf = (language: unknown): Words =>
  words[(languages as readonly unknown[]).includes(language) ? (language as Language) : 'en'];
