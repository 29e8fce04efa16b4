'use strict';
// The server for the dashboard test: the Node interop suite's launcher, with this test's
// configuration (`startServer(config)` resolves to `{ http, ocpp, database, binary, log(), stop() }`).

const { startServerWith } = require('../../node/lib/server.js');

module.exports = { startServer: startServerWith };
