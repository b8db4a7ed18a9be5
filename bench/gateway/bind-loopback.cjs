// Preload with: node -r ./bind-loopback.cjs ...
// Forces every net.Server (hence http.Server) to bind 127.0.0.1 instead of all interfaces.
'use strict';
const net = require('net');
const HOST = process.env.BIND_HOST || '127.0.0.1';
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (a0 !== null && typeof a0 === 'object' && !(a0 instanceof net.Server) && a0.fd === undefined && a0.path === undefined && !a0._handle) {
    // listen({ port, host, ... }, cb?)
    args[0] = { ...a0, host: HOST };
  } else if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    // listen(port[, host][, backlog][, cb])
    if (typeof args[1] === 'string' || args[1] === undefined || args[1] === null) args[1] = HOST;
    else args.splice(1, 0, HOST); // args[1] was backlog or callback
  } else if (a0 === undefined || typeof a0 === 'function') {
    // listen() / listen(cb): random port
    args.unshift(0, HOST);
  }
  return orig.apply(this, args);
};
