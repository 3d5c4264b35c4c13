"""Every WebSocket close code the server uses, in one place (docs/protocol.md lists what a client does)."""

GOING_AWAY = 1001  # this worker is shutting down (deploy, scale-in): reconnect at once, then sync
SERVICE_RESTART = 1012  # Redis came back empty: reconnect after a short random delay, then sync
UNAUTHENTICATED = 4401  # missing, invalid, expired or revoked credentials, or the login session ended
SUSPENDED = 4403  # the account was suspended: do not reconnect
TOO_SLOW = 4408  # the client fell too far behind (realtime.outbox): reconnect, then sync
TOO_MANY_SOCKETS = 4429  # the account holds SOCKETS_PER_USER_MAX sockets already: reconnect with backoff
UNSUPPORTED_VERSION = 4426  # the client did not ask for the protocol's version (`?v=2`): upgrade it

# A too-slow socket gets this long to read up to its close frame (at most what its buffers held when it was
# given up on) before it is dropped (1006): a dead client's buffers are freed then. Under Daphne it is also
# autobahn's close-handshake timeout (1 s by default), which would otherwise drop such a client first.
CLOSE_GRACE_SECONDS = 10.0
