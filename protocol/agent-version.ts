/**
 * The agent release: the agent reports it during version negotiation, the
 * edge writes it into agent manifests. Bump with package.json.
 */
export const AGENT_VERSION = '0.1.0';
