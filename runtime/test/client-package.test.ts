// @autoclaw/client as an integrator gets it: packed, installed from the tarball into a clean project with its own
// package.json and strict tsconfig, compiled with tsc, and run against the whole product (real tenant runtime).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeModel, type FakeModel } from "../../fakes/openai";
import { client, startStack, waitForPool, type Stack } from "./stack";

const PORT = 8837;
const root = path.resolve(import.meta.dirname, "..", "..");
const exec = promisify(execFile);
let stack: Stack;
let fake: FakeModel;
let project: string;
/** The oldest Node the package supports (engines: >=20), installed from npm so the program runs on it. */
let node20: string;

/** The integrator's program, as the package's README shows it. */
const PROGRAM = `import { EventSource } from "eventsource";
import { createAutoclawClient, NotFoundError, type Run } from "@autoclaw/client";

const ac = createAutoclawClient({ url: process.env.AUTOCLAW_URL!, apiKey: process.env.AUTOCLAW_API_KEY!, EventSource });

// Never called: it only has to fail to compile.
export function wrongInput() {
  // @ts-expect-error runs.create takes the input text as a string
  return ac.runs.create.mutate({ agentId: "ag_1", input: 42 });
}

const agent = await ac.agents.create.mutate({ templateId: "personal-assistant", name: "From the client", model: "custom/writer" });
const events: string[] = [];
const run: Run = await ac.runs.createAndWait(
  { agentId: agent.id, input: "written through @autoclaw/client" },
  { timeoutMs: 240_000, onEvent: (event) => events.push(event.type) },
);
// The run's reply is also its artifact output.md; what the agent wrote lands in its workspace.
const artifact = run.artifacts.find((a) => a.name === "output.md");
const artifactText = artifact ? await (await ac.runs.fetchArtifact(artifact)).text() : null;
const note = (await ac.agents.files.query({ id: agent.id })).find((f) => f.path === "notes/from-agent.md");

await ac.runs.createAndWait({ agentId: agent.id, input: "a second run" }, { timeoutMs: 240_000 });
const iterated: string[] = [];
for await (const r of ac.runs.iterate({ agentId: agent.id, limit: 1 })) iterated.push(r.id);

let foreign = "no error";
try {
  await ac.runs.get.query({ id: process.env.FOREIGN_RUN_ID! });
} catch (err) {
  foreign = err instanceof NotFoundError ? \`\${err.name} \${err.code} \${err.httpStatus}\` : String(err);
}
console.log(JSON.stringify({ runId: run.id, status: run.status, output: run.output, artifactText, noteSha256: note?.sha256, events, iterated, foreign }));
`;

async function installClient(): Promise<string> {
  const { stdout } = await exec(process.execPath, [path.join(root, "scripts/client-pack.ts")], { cwd: root, maxBuffer: 16 << 20 });
  const tarball = stdout.trim().split("\n").at(-1)!;
  const dir = mkdtempSync(path.join(tmpdir(), "autoclaw-integrator-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "integrator", private: true, type: "module" }, null, 2));
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022", "DOM"],
        types: ["node"],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        // As \`tsc --init\` writes it: tRPC's own declarations name optional peers (ws) an integrator may not have.
        skipLibCheck: true,
        outDir: "out",
      },
      include: ["main.ts"],
    }),
  );
  writeFileSync(path.join(dir, "main.ts"), PROGRAM);
  await exec("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball, "eventsource@5.1.5", "@types/node@20"], {
    cwd: dir,
  });
  return dir;
}

async function installNode20(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "autoclaw-node20-"));
  await exec("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir, "node@20.20.2"], { cwd: dir });
  return path.join(dir, "node_modules/.bin/node");
}

beforeAll(async () => {
  fake = await startFakeModel();
  [stack, project, node20] = await Promise.all([startStack(PORT, { RUNTIME_POOL_SIZE: "1" }), installClient(), installNode20()]);
  await waitForPool(PORT + 2, 1);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await fake?.close();
}, 60_000);

it("installs without the Worker: only the client, tRPC and what the integrator chose", () => {
  const installed = readdirSync(path.join(project, "node_modules")).filter((n) => !n.startsWith("."));
  const scoped = installed
    .filter((n) => n.startsWith("@"))
    .flatMap((s) => readdirSync(path.join(project, "node_modules", s)).map((n) => `${s}/${n}`));
  const all = [...installed.filter((n) => !n.startsWith("@")), ...scoped].sort();
  // typescript (and its native binary) is tRPC's peer dependency, which npm installs.
  const allowed = [
    "@autoclaw/client",
    "@trpc/client",
    "@trpc/server",
    "@types/node",
    "eventsource",
    "eventsource-parser",
    "undici-types",
    "typescript",
  ];
  expect(all.filter((n) => !allowed.includes(n) && !n.startsWith("@typescript/"))).toEqual([]);
  expect(all).toEqual(expect.arrayContaining(["@autoclaw/client", "@trpc/client", "@trpc/server"]));
  // No Node built-ins (so Deno, Bun and browsers load it as Node does): the bundle imports tRPC and nothing else.
  const code = readFileSync(path.join(project, "node_modules/@autoclaw/client/dist/index.js"), "utf8");
  const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((i) => !i!.startsWith("@trpc/"))).toEqual([]);
  expect(code).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
  const types = readFileSync(path.join(project, "node_modules/@autoclaw/client/dist/index.d.ts"), "utf8");
  expect(types).not.toMatch(/drizzle|cloudflare|better-auth|D1Database|from "zod"/);
});

it("compiles a strict integrator program (a wrong input type does not) and runs it on Node 20 against the product", async () => {
  // tsc fails the build if the @ts-expect-error line compiled: proof that inputs are typed, not `any`.
  await exec(path.join(root, "node_modules/.bin/tsc"), ["-p", project], { cwd: project });
  const broken = PROGRAM.replace("// @ts-expect-error runs.create takes the input text as a string\n", "");
  writeFileSync(path.join(project, "broken.ts"), broken);
  writeFileSync(
    path.join(project, "tsconfig.broken.json"),
    JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, include: ["broken.ts"] }),
  );
  const compileBroken = await exec(path.join(root, "node_modules/.bin/tsc"), ["-p", path.join(project, "tsconfig.broken.json")], {
    cwd: project,
  })
    .then(() => "compiled")
    .catch((e: { stdout: string }) => e.stdout);
  expect(compileBroken).toMatch(/broken\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);

  const owner = client(stack.api, "http://127.0.0.1:8838");
  await owner.signUpWithTeam("integrator");
  await owner.call("providerKeys.set", { provider: "custom", apiKey: "sk-integrator-5566778899", baseUrl: `${fake.url}/v1` });
  const { key } = await owner.call<{ key: string }>("apiKeys.create", { name: "integration", scopes: ["read", "runs", "agents"] });

  const other = client(stack.api, "http://127.0.0.1:8838");
  await other.signUpWithTeam("someone-else");
  await other.call("providerKeys.set", { provider: "custom", apiKey: "sk-someone-else-1122334455", baseUrl: `${fake.url}/v1` });
  const theirAgent = await other.call<{ id: string }>("agents.create", {
    templateId: "personal-assistant",
    name: "Theirs",
    model: "custom/echo",
  });
  const theirRun = await other.call<{ id: string }>("runs.create", { agentId: theirAgent.id, input: "not yours" });
  await other.call("runs.cancel", { id: theirRun.id });

  expect((await exec(node20, ["--version"])).stdout.trim()).toBe("v20.20.2");
  const { stdout } = await exec(node20, [path.join(project, "out/main.js")], {
    cwd: project,
    env: { PATH: process.env.PATH, AUTOCLAW_URL: stack.api, AUTOCLAW_API_KEY: key, FOREIGN_RUN_ID: theirRun.id },
    timeout: 280_000,
  });
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
    runId: string;
    status: string;
    output: string;
    artifactText: string | null;
    noteSha256: string;
    events: string[];
    iterated: string[];
    foreign: string;
  };
  expect(result.status).toBe("succeeded");
  expect(result.artifactText).toBe(result.output);
  expect(result.noteSha256).toBe(createHash("sha256").update("written through @autoclaw/client").digest("hex"));
  // Live events arrived over SSE with the key (the eventsource package), ending in done.
  expect(result.events.at(-1)).toBe("done");
  expect(result.iterated).toHaveLength(2);
  expect(result.iterated).toContain(result.runId);
  expect(result.foreign).toBe("NotFoundError NOT_FOUND 404");
  // The run is the team's own, as the dashboard sees it.
  const seen = await owner.query<{ id: string; source: string; status: string }>("runs.get", { id: result.runId });
  expect(seen).toMatchObject({ id: result.runId, source: "api", status: "succeeded" });
}, 400_000);
