/** Reported to the edge during version negotiation and in logs. Bump with package.json. */
export const AGENT_VERSION = '0.1.0';
