-- dns.lua - a message whose end-of-message rules need the sender's MX
-- while the DNS server is down, silent or slow (tests/faults/dns.sh sets
-- it up): the milter must answer 451 4.4.3 (the DNS temporary failure the
-- manual documents), never an accept, a continue or a 5xx.  Run as
--   miltertest -D libdir=tests/miltertest -D socket=unix:SOCK -s dns.lua

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
t.optional(conn, "NOMAIL", SMFIR_CONTINUE, "mail", mt.mailfrom,
    "<alice@sender.example.net>")
t.optional(conn, "NORCPT", SMFIR_CONTINUE, "rcpt", mt.rcptto,
    "<bob@example.org>")
t.step(conn, SMFIR_REPLYCODE, "eom: a reply code, not accept or continue",
    mt.eom)
t.eom_reply(conn, "451 4.4.3 Directory server failure, please try again later",
    "eom: the DNS temporary failure")
mt.disconnect(conn)

t.done()
