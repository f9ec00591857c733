// pnpm deploy:check — what `wrangler deploy` and the Pages upload would ship, checked without a Cloudflare account:
// the Worker bundled exactly as deploy bundles it (--dry-run --outdir), the production wrangler.toml settings parsed
// with the Worker's own schema (secrets named, never shown), the runtime image's pins against the packages, and the
// sizes that have limits. Exit 1 on any problem. Flags: --only settings|worker|spa|image (repeatable),
// --config <wrangler.toml>, --secrets-file <dotenv>, --require-secrets (a missing secret fails: for the real deploy).
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs, parseEnv, promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { unstable_readConfig } from "wrangler";
import { SECRET_SETTINGS, settingsSchema } from "../api/src/config.ts";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, ".autoclaw/deploy-check");
const exec = promisify(execFile);
/** Workers Paid's compressed script limit (containers need Workers Paid; the free plan's is 3 MB). */
const WORKER_LIMIT_BYTES = 10 * 1024 * 1024;
/** D1's id in the committed wrangler.toml until an operator runs `wrangler d1 create`. */
const PLACEHOLDER_D1_ID = "00000000-0000-4000-8000-000000000000";

const { values: flags } = parseArgs({
  options: {
    only: { type: "string", multiple: true },
    config: { type: "string", default: path.join(root, "wrangler.toml") },
    "secrets-file": { type: "string" },
    "require-secrets": { type: "boolean", default: false },
  },
});
const wants = (part: string) => !flags.only || flags.only.includes(part);
const configPath = path.resolve(flags.config);

let failed = false;
const ok = (msg: string) => console.log(`  ✓ ${msg}`);
const todo = (msg: string) => console.log(`  ! ${msg}`);
const fail = (msg: string) => {
  failed = true;
  console.log(`  ✗ ${msg}`);
};
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const gzipped = (file: string) => gzipSync(readFileSync(file), { level: 9 }).byteLength;

/** The parts of wrangler's parsed configuration this check reads (wrangler's own reader, so paths resolve as deploy's do). */
interface DeployConfig {
  main?: string;
  vars: Record<string, unknown>;
  d1_databases: { binding: string; database_name?: string; database_id?: string }[];
  queues: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
  containers?: { class_name: string; image?: string }[];
}
const config: DeployConfig = unstable_readConfig({ config: configPath }, { hideWarnings: true });

// ── Settings: wrangler.toml's [vars] plus the secrets, through the schema the Worker parses them with ─────────
if (wants("settings")) {
  console.log(`settings (${path.relative(root, configPath)} [vars] + secrets, api/src/config.ts)`);
  const vars = Object.fromEntries(Object.entries(config.vars).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const secretNames = new Set<string>(SECRET_SETTINGS);
  const fromFile = flags["secrets-file"] ? parseEnv(readFileSync(flags["secrets-file"], "utf8")) : {};
  const secrets: Record<string, string> = {};
  for (const name of SECRET_SETTINGS) {
    const value = process.env[name] ?? fromFile[name];
    if (value) secrets[name] = value;
  }
  for (const name of Object.keys(vars)) {
    if (secretNames.has(name)) fail(`${name} is a secret written in plain text in [vars]: remove it and \`wrangler secret put ${name}\``);
    else if (!(name in settingsSchema.shape) && !name.startsWith("STRIPE_PRICE_"))
      fail(`${name} in [vars] is not a setting the Worker reads`);
  }
  const result = settingsSchema.safeParse({ ...vars, ...secrets });
  const missingSecrets: string[] = [];
  for (const issue of result.success ? [] : result.error.issues) {
    const name = String(issue.path[0]);
    const given = { ...vars, ...secrets }[name];
    if (secretNames.has(name) && given === undefined) missingSecrets.push(name);
    // The message is zod's, which never repeats the value.
    else fail(given === undefined ? `${name} is missing` : `${name} ${issue.message}`);
  }
  for (const name of missingSecrets) {
    const line = `secret ${name} is not set: \`wrangler secret put ${name}\``;
    if (flags["require-secrets"]) fail(line);
    else todo(line);
  }
  // Production's own rules, on the raw values (so each is reported even when the schema refused others).
  const s: Record<string, string | undefined> = { ...vars, ...secrets };
  if ((s.NODE_ENV ?? "production") !== "production") fail(`NODE_ENV is ${s.NODE_ENV}: production needs "production"`);
  if ((s.TENANT_RUNTIME ?? "sandbox") !== "sandbox")
    fail(`TENANT_RUNTIME is ${s.TENANT_RUNTIME}: production tenant runtimes are "sandbox" containers`);
  if (s.APP_URL && URL.canParse(s.APP_URL) && !s.APP_URL.startsWith("https://")) fail("APP_URL must be https:// in production");
  if (s.ALLOW_PRIVATE_MODEL_URLS === "true")
    fail("ALLOW_PRIVATE_MODEL_URLS must be false in production (custom models could reach private addresses)");
  if (s.BENCH_BASELINES === "true") fail("BENCH_BASELINES must be false in production (raw benchmark routes)");
  const on = (name: string, enabled: unknown, off: string) => (enabled ? ok(`${name}: on`) : todo(`${name}: off (${off})`));
  on("Telegram", s.TELEGRAM_BOT_TOKEN && s.TELEGRAM_WEBHOOK_SECRET, "TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET");
  on("billing", s.STRIPE_SECRET_KEY && s.STRIPE_WEBHOOK_SECRET, "STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET");
  on("mail", s.MAIL_API_KEY, "MAIL_API_KEY");
  on(
    "AI Gateway",
    s.AI_GATEWAY_URL,
    "AI_GATEWAY_URL: only custom OpenAI-compatible model servers work; OpenAI, Anthropic and Google keys need it",
  );
  if (s.APP_URL && URL.canParse(s.APP_URL)) {
    const host = new URL(s.APP_URL).host;
    ok(`routes for the SPA's domain: wrangler deploy --route "${host}/trpc*" --route "${host}/api/*"`);
  }
  if (!failed)
    ok(
      `[vars] parse with the Worker's schema (${Object.keys(vars).length} vars; ${Object.keys(secrets).length} of ${SECRET_SETTINGS.length} secrets given)`,
    );
  const d1 = config.d1_databases.find((d) => d.binding === "DB");
  if (!d1) fail("no D1 database bound as DB");
  else if (d1.database_id === PLACEHOLDER_D1_ID)
    todo("D1: database_id is the placeholder: `wrangler d1 create autoclaw` and put its id in wrangler.toml");
  else ok(`D1 ${d1.database_name} (${d1.database_id})`);
  const consumers = config.queues.consumers ?? [];
  const runs = consumers.find((c) => config.queues.producers?.some((p) => p.binding === "RUN_QUEUE" && p.queue === c.queue));
  if (!runs?.dead_letter_queue || !consumers.some((c) => c.queue === runs.dead_letter_queue))
    fail("the run queue needs a consumed dead-letter queue");
  else ok(`queues: ${runs.queue} → DLQ ${runs.dead_letter_queue}, both consumed`);
}

// ── The Worker, bundled exactly as `wrangler deploy` bundles it ─────────────────────────────────────────────
if (wants("worker")) {
  console.log("worker (wrangler deploy --dry-run)");
  const dir = path.join(out, "worker");
  rmSync(dir, { recursive: true, force: true });
  try {
    // The container image is built by `wrangler deploy` with Docker; it is checked below ("image") instead.
    await exec(
      path.join(root, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--containers-rollout=none", "--outdir", dir, "--config", configPath],
      { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" }, maxBuffer: 32 << 20 },
    );
    const bundle = path.join(dir, path.basename(config.main ?? "index.js").replace(/\.ts$/, ".js"));
    const size = gzipped(bundle);
    const line = `bundle ${kib(size)} gzip (${kib(readFileSync(bundle).byteLength)} raw) of ${kib(WORKER_LIMIT_BYTES)} (Workers Paid limit), ${((100 * size) / WORKER_LIMIT_BYTES).toFixed(0)} %`;
    if (size > WORKER_LIMIT_BYTES) fail(line);
    else ok(line);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    fail(`wrangler deploy --dry-run failed:\n${(e.stderr || e.stdout || String(err)).trim()}`);
  }
}

// ── The SPA, built for production (what Pages serves) ──────────────────────────────────────────────────────
if (wants("spa")) {
  console.log("spa (vite build)");
  const dir = path.join(out, "spa");
  try {
    await exec(
      path.join(root, "node_modules/.bin/vite"),
      ["build", "--config", path.join(root, "vite.config.ts"), "--outDir", dir, "--emptyOutDir"],
      {
        cwd: root,
        maxBuffer: 32 << 20,
      },
    );
    const html = readFileSync(path.join(dir, "index.html"), "utf8");
    // First load: the entry script and every chunk the page preloads before it can run.
    const scripts = [...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"|<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map(
      (m) => (m[1] ?? m[2])!,
    );
    const styles = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map((m) => m[1]!);
    const total = (files: string[]) => files.reduce((sum, f) => sum + gzipped(path.join(dir, f.replace(/^\//, ""))), 0);
    if (scripts.length === 0) fail("index.html loads no script");
    else ok(`first-load JS ${kib(total(scripts))} gzip in ${scripts.length} file(s); CSS ${kib(total(styles))} gzip`);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    fail(`vite build failed:\n${(e.stderr || e.stdout || String(err)).trim()}`);
  }
}

// ── The tenant runtime image: its pins are the versions the code was tested with ───────────────────────────
if (wants("image")) {
  console.log("image (runtime/Dockerfile)");
  const container = config.containers?.find((c) => c.class_name === "Sandbox");
  const dockerfile = container?.image && existsSync(container.image) ? container.image : undefined;
  if (!dockerfile) fail("no Sandbox container with a Dockerfile in wrangler.toml");
  else {
    const text = readFileSync(dockerfile, "utf8");
    const pkg = (p: string) => JSON.parse(readFileSync(path.join(root, p), "utf8")) as { dependencies: Record<string, string> };
    const pins = [
      {
        what: "cloudflare/sandbox base image",
        found: text.match(/^FROM\s+\S*cloudflare\/sandbox:(\S+)/m)?.[1],
        want: pkg("api/package.json").dependencies["@cloudflare/sandbox"],
        from: "api/package.json @cloudflare/sandbox",
      },
      {
        what: "openclaw",
        found: text.match(/openclaw@(\S+)/)?.[1],
        want: pkg("runtime/package.json").dependencies.openclaw,
        from: "runtime/package.json openclaw",
      },
    ];
    for (const p of pins) {
      if (p.found && p.found === p.want) ok(`${p.what} ${p.found} = ${p.from}`);
      else fail(`${p.what} is ${p.found ?? "unpinned"} in ${path.relative(root, dockerfile)}, but ${p.from} is ${p.want}`);
    }
  }
}

console.log(failed ? "deploy:check failed" : "deploy:check passed");
process.exit(failed ? 1 : 0);
