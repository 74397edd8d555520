-- headers.lua - what replymilter adds at end of message (MT_HDRADD): the
-- add-header rule's header with its template filled in (a '%' from the
-- client appears once: header values are not libmilter reply texts), and
-- the dry-run rule's header saying what it would have done; the dry-run
-- rule itself lets the recipient through.

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
mt.macro(conn, SMFIC_MAIL, "i", "HDRS1")
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<50%off@example.net>")
t.step(conn, SMFIR_CONTINUE, "dry-run rcpt: let through", mt.rcptto,
    "<dry-run@example.org>")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "header", mt.header, "Subject",
    "hello")
t.step(conn, SMFIR_CONTINUE, "eom", mt.eom)
t.header_added(conn, "X-Replymilter-Dry-Run",
    "rule=dry-run-rcpt; id=dry-run-rcpt; stage=rcpt; would=reject " ..
    "550 5.7.1 Recipient refused by the new policy", "eom")
t.header_added(conn, "X-Replymilter-Test",
    "sender=50%off@example.net rule=tag", "eom")
t.check(mt.getheader(conn, "X-Replymilter-Test", 1) == nil,
    "eom: the tag header is added once")
mt.disconnect(conn)

t.done()
