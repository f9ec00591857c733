export * from "./agents";
export * from "./auth";
export * from "./api-keys";
export * from "./errors";
export * from "./models";
export * from "./runs";
export * from "./templates";
export * from "./tenants";
