// TEMPORARY placeholder written by H4 (tunnel) so registration compiles until
// H5's real renderer lands. H5: overwrite this file freely. Not committed by H4.
export interface AgentManifestOptions {
  clusterName: string;
  hubUrl: string;
  token: string;
  image?: string;
}

export function renderAgentManifest(options: AgentManifestOptions): string {
  return `# edgetower agent for ${options.clusterName}\n# hub: ${options.hubUrl}\n# token: ${options.token}\n`;
}
