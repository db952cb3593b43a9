// @tid-wasm/tee-client: loads the compiled addon (src/tee_client.c, built by node-gyp at install).
// The interface is described in index.d.ts and README.md.
"use strict";
module.exports = require("./build/Release/tee_client.node");
