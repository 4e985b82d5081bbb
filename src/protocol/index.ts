export * from "./frame.js";
export * from "./protocol.js";
export * from "./registry.js";
