// TEMPORARY placeholder written by H4 (tunnel) so registration compiles until
// H5's renderer lands. H5: overwrite this file freely (same signature).
export interface AgentManifestOptions {
  clusterName: string;
  hubUrl: string;
  token: string;
  image?: string;
}

export function renderAgentManifest(options: AgentManifestOptions): string {
  return `# edgetower agent for ${options.clusterName}\n# hub: ${options.hubUrl}\n# token: ${options.token}\n`;
}
