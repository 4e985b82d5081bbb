export * from "./frame.js";
