#!/usr/bin/env node
// The `stepstream` command (npx stepstream): committed, so npm links it at
// install time, before the build has made dist/.
import "../dist/index.js";
