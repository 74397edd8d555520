-- header_limit.lua - a message past header_count_limit (40 in mt.conf) is
-- refused at the header that passes it (SMFIR_REPLYCODE), not judged on
-- the headers kept so far; a message within the limit goes on.

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
mt.macro(conn, SMFIC_MAIL, "i", "LIMIT1")
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<padder@example.net>")
t.step(conn, SMFIR_CONTINUE, "rcpt", mt.rcptto, "<user@example.org>")
local ok = true
for i = 1, 40 do
	mt.header(conn, "X-Pad", "padding " .. i)
	ok = ok and mt.getreply(conn) == SMFIR_CONTINUE
end
t.check(ok, "40 headers: each SMFIR_CONTINUE", "a header within the " ..
    "limit was answered")
t.step(conn, SMFIR_REPLYCODE, "header 41: refused", mt.header, "Subject",
    "hello")
mt.disconnect(conn)

-- A message within the limit goes on.
conn = t.connect()
t.step(conn, SMFIR_CONTINUE, "connect", mt.conninfo, "client.example.net",
    "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_CONTINUE, "helo", mt.helo,
    "client.example.net")
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<sender@example.net>")
t.step(conn, SMFIR_CONTINUE, "rcpt", mt.rcptto, "<user@example.org>")
t.step(conn, SMFIR_CONTINUE, "one header", mt.header, "Subject", "hello")
t.step(conn, SMFIR_CONTINUE, "eom", mt.eom)
mt.disconnect(conn)

t.done()
