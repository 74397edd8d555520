-- connect.lua - decisions taken at connect: an accept is SMFIR_ACCEPT at
-- once; a reject cannot carry a reply at connect (libmilter has none
-- there), so connect answers SMFIR_CONTINUE and the decision, with its
-- text, comes at HELO as SMFIR_REPLYCODE, whatever HELO name follows.

local t = dofile(libdir .. "/lib.lua")

local conn = t.connect()
t.step(conn, SMFIR_ACCEPT, "trusted client: connect", mt.conninfo,
    "trusted.example.net", "192.0.2.1")
mt.disconnect(conn)

conn = t.connect()
t.step(conn, SMFIR_CONTINUE, "blocked client: connect", mt.conninfo,
    "blocked.example.net", "192.0.2.66")
t.optional(conn, "NOHELO", SMFIR_REPLYCODE, "blocked client: helo", mt.helo,
    "blocked.example.net")
mt.disconnect(conn)

-- The same from a {daemon_name} macro the MTA sends at connect.
conn = t.connect()
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.org",
    "{daemon_name}", "blocked-mta")
t.step(conn, SMFIR_CONTINUE, "blocked listener: connect", mt.conninfo,
    "client.example.net", "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_REPLYCODE, "blocked listener: helo",
    mt.helo, "client.example.net")
mt.disconnect(conn)

-- Another listener name: nothing decided.
conn = t.connect()
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.org",
    "{daemon_name}", "open-mta")
t.step(conn, SMFIR_CONTINUE, "open listener: connect", mt.conninfo,
    "client.example.net", "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_CONTINUE, "open listener: helo", mt.helo,
    "client.example.net")
t.step(conn, SMFIR_CONTINUE, "open listener: mail", mt.mailfrom,
    "<alice@example.net>")
mt.disconnect(conn)

t.done()
