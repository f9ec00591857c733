export * from "./auth";
export * from "./api-keys";
export * from "./errors";
export * from "./tenants";
