import { runServerWorker, type ServerOptions } from "./server.js";

const options = JSON.parse(process.env.TCPSWEEP_SERVER_OPTIONS ?? "null") as ServerOptions | null;
if (!options) {
  process.stderr.write("tcpsweep server worker: started without TCPSWEEP_SERVER_OPTIONS; run `tcpsweep server` instead\n");
  process.exit(2);
}
runServerWorker(options);
