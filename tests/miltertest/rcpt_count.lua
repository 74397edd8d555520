-- rcpt_count.lua - a recipient the milter refused is not one of the
-- message's recipients: rule too-many-recipients (rcpt_count > 2, before
-- spf-fail in mt.conf) must not count it, nor a recipient it refused
-- itself; a new message counts from zero.

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<alice@example.net>")
t.step(conn, SMFIR_CONTINUE, "rcpt 1 (count 1)", mt.rcptto,
    "<one@example.org>")
t.step(conn, SMFIR_REPLYCODE, "rcpt spf-fail@ refused (not counted)",
    mt.rcptto, "<spf-fail@example.org>")
t.step(conn, SMFIR_CONTINUE, "rcpt 2 (count 2, not 3)", mt.rcptto,
    "<two@example.org>")
t.step(conn, SMFIR_REPLYCODE, "rcpt 3 (count 3 > 2: too many)", mt.rcptto,
    "<three@example.org>")
t.step(conn, SMFIR_REPLYCODE, "rcpt 4 (count 3 again: too many)", mt.rcptto,
    "<four@example.org>")
t.step(conn, SMFIR_CONTINUE, "eom", mt.eom)

t.step(conn, SMFIR_CONTINUE, "next message: mail", mt.mailfrom,
    "<alice@example.net>")
t.step(conn, SMFIR_CONTINUE, "next message: rcpt 1", mt.rcptto,
    "<one@example.org>")
t.step(conn, SMFIR_CONTINUE, "next message: rcpt 2", mt.rcptto,
    "<two@example.org>")
t.step(conn, SMFIR_REPLYCODE, "next message: rcpt 3 (too many)", mt.rcptto,
    "<three@example.org>")
mt.disconnect(conn)

t.done()
