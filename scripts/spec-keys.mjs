#!/usr/bin/env node
// Every key path the spec schema accepts, one a line (after `npm run build`): what docs/spec.md's
// key table must name (test/spec-keys.test.ts checks it).
import { specKeyPaths } from "../dist/sweep/spec/key-paths.js";

for (const key of specKeyPaths()) console.log(key);
