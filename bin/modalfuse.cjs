#!/usr/bin/env node
// CommonJS on purpose. Media decoding (sharp, the native audio decoder, file reads) runs on
// libuv's thread pool, whose default of 4 threads leaves the other cores of a larger machine
// idle. libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, and an ES module
// entry point is itself read through that pool: only a CommonJS entry can set it in time.
"use strict";
const { availableParallelism } = require("node:os");
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, Math.max(4, availableParallelism())));
import("../dist/src/cli.js");
