import { it } from "vitest";
import { writeFileSync } from "node:fs";
import { createLab } from "./helpers/lab.js";
it("lab up", async () => {
  const lab = await createLab({ hosts: ["srv", "load1", "load2"], connectTimeoutS: 2 });
  writeFileSync("/tmp/i13/lab.json", JSON.stringify({ ctl: lab.controllerNs, cfg: lab.sshConfigPath, hosts: lab.hosts }));
  await new Promise((r) => setTimeout(r, 1_500_000));
  await lab.destroy();
}, 2_000_000);
