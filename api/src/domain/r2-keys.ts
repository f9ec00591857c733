// Where a tenant's things live in R2 (the ARTIFACTS bucket). Everything of a tenant is under
// `tenant/<tenantId>/`, so a tenant can be listed or removed by one prefix.

/** The durable copy of the tenant's OpenClaw workspace: `<agentId>/<file>` below it. */
export const workspaceRoot = (tenantId: string) => `tenant/${tenantId}/openclaw/workspace/`;
export const agentWorkspace = (tenantId: string, agentId: string) => `${workspaceRoot(tenantId)}${agentId}/`;

/** Path → SHA-256 of what R2 holds of one agent's workspace; the agent's AgentSession is its writer between starts. */
export const manifestKey = (tenantId: string, agentId: string) => `tenant/${tenantId}/openclaw/manifests/${agentId}.json`;

/** OpenClaw's conversations, for drivers whose disk does not outlive a stop (RuntimeDriver.saveState). */
export const stateKey = (tenantId: string) => `tenant/${tenantId}/openclaw/state/agents.tgz`;

/** A previous version of a workspace file (`path` below the agent's folder), kept for VERSION_RETENTION_DAYS. */
export const versionKey = (tenantId: string, agentId: string, path: string, at: number, sha256: string) =>
  `tenant/${tenantId}/openclaw/versions/${agentId}/${path}/${at}-${sha256.slice(0, 12)}`;

/** A workspace file moved out of the workspace (a skill the team may not use): `<agentId>/<file>` below it, kept. */
export const setAsideKey = (tenantId: string, path: string) => `tenant/${tenantId}/openclaw/set-aside/${path}`;

/** A run's files (output.md, artifacts). */
export const runFileKey = (tenantId: string, runId: string, name: string) => `tenant/${tenantId}/runs/${runId}/${name}`;
