-- probe.lua - which policy is in force: one message to probe@example.org,
-- whose end-of-message reply names the policy (tests/faults/hup.sh writes
-- the rule).  Run as
--   miltertest -D libdir=tests/miltertest -D socket=unix:SOCK
--       -D want="550 5.7.1 ..." -s probe.lua

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
t.optional(conn, "NOMAIL", SMFIR_CONTINUE, "mail", mt.mailfrom,
    "<alice@example.net>")
t.optional(conn, "NORCPT", SMFIR_CONTINUE, "rcpt", mt.rcptto,
    "<probe@example.org>")
t.step(conn, SMFIR_REPLYCODE, "eom", mt.eom)
t.eom_reply(conn, want, "eom")
mt.disconnect(conn)

t.done()
