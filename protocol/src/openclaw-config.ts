// The OpenClaw config of one tenant's runtime, generated from its agents and pinned to one OpenClaw
// version (tests validate it with that version's own `openclaw config validate`). Paths and the
// gateway port are filled in by the driver; secrets are `${ENV}` references resolved inside the
// runtime from variables the driver sets — the file never holds one.

export const OPENCLAW_VERSION = "2026.9.6";

/** The env variable holding the per-runtime token the model proxy accepts. */
export const MODEL_TOKEN_ENV = "AUTOCLAW_MODEL_TOKEN";
/** OpenClaw's own log file rotates at this size (it keeps five archives beside it). */
export const OPENCLAW_LOG_MAX_BYTES = 4 * 1024 * 1024;
/** The provider id the runtime knows the platform's model proxy by. */
export const PROXY_PROVIDER = "autoclaw";
/**
 * Each agent calls the proxy as a provider of its own, which names the agent in this header: the
 * proxy then knows whose call it meters and whose failure it records, and OpenClaw's per-provider
 * cooldowns never spread from one agent to another.
 */
export const AGENT_HEADER = "x-autoclaw-agent";
export const agentProvider = (agentId: string) => `${PROXY_PROVIDER}-${agentId}`;

export interface RuntimeAgent {
  id: string;
  name: string;
  /** `<provider>/<model>` as AutoClaw names it; the proxy resolves it with the tenant's key. */
  model: string;
  /** Skills this agent may see; undefined leaves OpenClaw's default. */
  skills?: string[];
}

/**
 * A skill's environment value (a team's API key for it) reaches the runtime as a variable of this
 * name, which the config's `skills.entries.<skill>.env` references: the generated config never holds it.
 */
export const SKILL_ENV_PREFIX = "AUTOCLAW_SKILL_";
export const skillEnvVar = (skill: string, env: string) => `${SKILL_ENV_PREFIX}${skill.toUpperCase().replace(/-/g, "_")}__${env}`;

/** A skills entry no skill has: changing it only makes the gateway scan its skill folders again. */
export const SKILLS_RESCAN_ENTRY = "autoclaw-rescan";

/** A runtime's variables with its skill values replaced by a new set (the start's own, such as the model token, stay). */
export const withSkillEnv = (env: Record<string, string>, skillEnv: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith(SKILL_ENV_PREFIX))),
  ...skillEnv,
});

/** The team's policy for one skill as OpenClaw takes it (`skills.entries.<name>`). */
export interface SkillConfigEntry {
  enabled?: false;
  config?: Record<string, unknown>;
  /** Variable → `${AUTOCLAW_SKILL_…}` reference. */
  env?: Record<string, string>;
}

export interface TenantConfigInput {
  agents: RuntimeAgent[];
  /** The Worker's OpenAI-compatible model proxy as the runtime reaches it, ending in /v1. */
  modelProxyUrl: string;
  /** Skills the team's policy turns off, and the environment of those it configured. */
  skills?: Record<string, SkillConfigEntry>;
  /**
   * Bumped to make a running gateway scan its skill folders again: with the watcher off, it sees a
   * SKILL.md written since its start only after a change to its skills config (docs/openclaw.md).
   */
  skillsRescan?: number;
  /** Local host driver: no container boundary, so no shell/process tools (docs/openclaw.md "Security"). */
  restrictTools: boolean;
}

/** The platform's model proxy as an OpenAI-compatible provider, authenticated with the runtime's token. */
const proxyProvider = (input: TenantConfigInput, models: string[]) => ({
  baseUrl: input.modelProxyUrl,
  apiKey: `\${${MODEL_TOKEN_ENV}}`,
  api: "openai-completions",
  models: models.map((id) => ({ id, name: id, contextWindow: 128_000, maxTokens: 8_192 })),
});

export function tenantOpenclawConfig(input: TenantConfigInput) {
  const models = [...new Set(input.agents.map((a) => a.model))];
  const first = input.agents[0]?.model ?? "custom/none";
  return {
    gateway: {
      mode: "local",
      bind: "loopback",
      auth: { mode: "token", token: "${OPENCLAW_GATEWAY_TOKEN}" },
      controlUi: { enabled: false },
      http: { endpoints: { chatCompletions: { enabled: true }, responses: { enabled: true } } },
    },
    // Nothing OpenClaw would do on its own over the network or on a timer.
    update: { checkOnStart: false },
    telemetry: { enabled: false },
    discovery: { mdns: { mode: "off" } },
    // OpenClaw's automatic session maintenance starts a worker thread that loads a 48 MB bundle after
    // every turn (~2 s of CPU here, slowing that turn and the next). "warn" keeps it out of turns; the
    // runtime (host timer / container start script) runs `sessions cleanup --enforce` on a schedule instead.
    session: { dmScope: "per-channel-peer", maintenance: { mode: "warn" } },
    agents: {
      // Several agents per gateway: every turn names its agent (`model: openclaw/<agentId>`).
      ownership: "explicit",
      defaults: { heartbeat: { every: "0m" }, skipBootstrap: true, model: { primary: `${PROXY_PROVIDER}/${first}`, fallbacks: [] } },
      entries: Object.fromEntries(
        input.agents.map((a) => [
          a.id,
          { name: a.name, model: { primary: `${agentProvider(a.id)}/${a.model}`, fallbacks: [] }, ...(a.skills && { skills: a.skills }) },
        ]),
      ),
    },
    models: {
      mode: "merge",
      catalogRefresh: { enabled: false },
      providers: {
        [PROXY_PROVIDER]: proxyProvider(input, models),
        ...Object.fromEntries(
          input.agents.map((a) => [agentProvider(a.id), { ...proxyProvider(input, [a.model]), headers: { [AGENT_HEADER]: a.id } }]),
        ),
      },
    },
    tools: {
      fs: { workspaceOnly: true },
      elevated: { enabled: false },
      sessions: { visibility: "agent" },
      agentToAgent: { enabled: false },
      ...(input.restrictTools && {
        deny: ["group:automation", "group:runtime", "sessions_spawn", "sessions_send"],
        exec: { security: "deny" },
      }),
    },
    // The skills watcher re-scans every skill folder after turns (~0.15 s of a warm turn, ~0.5 s when
    // the gateway switches agents). Skills are the platform's policy, set through this config, whose
    // hot reload refreshes them; a SKILL.md an agent writes into its own workspace is not picked up live.
    skills: {
      load: { watch: false },
      entries: {
        ...input.skills,
        ...(input.skillsRescan && { [SKILLS_RESCAN_ENTRY]: { enabled: false, config: { rescan: input.skillsRescan } } }),
      },
    },
    // OpenClaw rotates its log here and keeps five archives (the default is 100 MB each): at most 24 MB per tenant.
    logging: { maxFileBytes: OPENCLAW_LOG_MAX_BYTES },
    plugins: { entries: { "memory-core": { config: { dreaming: { enabled: false } } } } },
  };
}
export type TenantOpenclawConfig = ReturnType<typeof tenantOpenclawConfig>;

/** `${NAME}` references resolved from these variables (a runtime writing a file its gateway's environment cannot supply). */
export function resolveRefs<T>(config: T, vars: Record<string, string>): T {
  return JSON.parse(
    JSON.stringify(config).replace(/\$\{([A-Z0-9_]+)\}/g, (ref, name: string) =>
      name in vars ? JSON.stringify(vars[name]).slice(1, -1) : ref,
    ),
  );
}

/** Where a runtime keeps one tenant's gateway: the parts of the config the generator leaves to it. */
export interface ConfigPlacement {
  port: number;
  /** The tenant's workspace; each agent works in `<workspace>/<agentId>`. */
  workspace: string;
  logFile: string;
}

/** The generated config with a runtime's port and paths filled in (the host and the container alike). */
export function placeConfig(config: TenantOpenclawConfig, at: ConfigPlacement) {
  const workspace = at.workspace.replace(/\/$/, "");
  const entries = Object.fromEntries(
    Object.entries(config.agents.entries).map(([id, entry]) => [id, { ...entry, workspace: `${workspace}/${id}` }]),
  );
  return {
    ...config,
    gateway: { ...config.gateway, port: at.port, bind: "loopback" },
    agents: { ...config.agents, defaults: { ...config.agents.defaults, workspace }, entries },
    logging: { ...config.logging, file: at.logFile },
  };
}

/** A gateway's folders, as its environment names them. */
export interface GatewayDirs {
  home: string;
  tmp: string;
  state: string;
  config: string;
}

/**
 * A gateway's environment, built from nothing: never the runtime's own environment, so no platform
 * secret can reach a tenant's process. Only its folders, production mode, and what the caller adds
 * (the gateway token, the model token the config's `${ENV}` references name, PATH on the host).
 */
export const gatewayEnvironment = (d: GatewayDirs, vars: Record<string, string> = {}): Record<string, string> => ({
  HOME: d.home,
  TMPDIR: d.tmp,
  OPENCLAW_STATE_DIR: d.state,
  OPENCLAW_CONFIG_PATH: d.config,
  NODE_ENV: "production",
  ...vars,
});
