export * from "./host-api.ts";
export * from "./openclaw-config.ts";
export * from "./workspace.ts";
