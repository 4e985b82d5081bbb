/** Remote hosts as a resolved spec names them: the types live with the resolved spec in src/model/, free of the sweep. */
export type { RemoteHost, RemoteSettings } from "../model/spec-types.js";
