-- stages.lua - a transaction no rule refuses: the reply at every stage is
-- SMFIR_CONTINUE, end of message adds the tag header, and replymilter asks
-- for the protocol steps and actions its rules need (mt.conf has rules at
-- every stage, so every step it uses is negotiated).

local t = dofile(libdir .. "/lib.lua")
local conn = t.connect()

t.check(mt.test_action(conn, SMFIF_ADDHDRS), "negotiated: SMFIF_ADDHDRS")
t.option(conn, SMFIP_NOHELO, false, "negotiated: HELO (connect rules need it)")
t.option(conn, SMFIP_NORCPT, false, "negotiated: RCPT")
t.option(conn, SMFIP_NOHDRS, false, "negotiated: headers")
t.option(conn, SMFIP_NOEOH, false, "negotiated: end of headers")
t.option(conn, SMFIP_NOBODY, false, "negotiated: body")
t.option(conn, SMFIP_NOUNKNOWN, true, "not negotiated: unknown commands")
t.option(conn, SMFIP_NODATA, true, "not negotiated: DATA")
t.option(conn, SMFIP_NR_HDR, false, "header replies wanted (header rules)")

mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.org",
    "{daemon_name}", "mx.example.org")
t.step(conn, SMFIR_CONTINUE, "connect", mt.conninfo, "client.example.net",
    "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_CONTINUE, "helo", mt.helo,
    "client.example.net")
mt.macro(conn, SMFIC_MAIL, "i", "STAGES1")
t.step(conn, SMFIR_CONTINUE, "mail", mt.mailfrom, "<alice@example.net>")
t.step(conn, SMFIR_CONTINUE, "rcpt", mt.rcptto, "<bob@example.org>")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "header From", mt.header,
    "From", "alice@example.net")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "header Subject", mt.header,
    "Subject", "hello")
t.optional(conn, "NOEOH", SMFIR_CONTINUE, "eoh", mt.eoh)
t.optional(conn, "NOBODY", SMFIR_CONTINUE, "body", mt.bodystring,
    "Hello Bob.\r\n")
t.step(conn, SMFIR_CONTINUE, "eom", mt.eom)
t.header_added(conn, "X-Replymilter-Test",
    "sender=alice@example.net rule=tag", "eom")
t.check(not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Message refused by content policy"), "eom: no reply text set")

-- A second message on the same connection starts afresh.
mt.macro(conn, SMFIC_MAIL, "i", "STAGES2")
t.step(conn, SMFIR_CONTINUE, "second message: mail", mt.mailfrom,
    "<carol@example.net>")
t.step(conn, SMFIR_CONTINUE, "second message: rcpt", mt.rcptto,
    "<dave@example.org>")
t.step(conn, SMFIR_CONTINUE, "second message: eom", mt.eom)
t.header_added(conn, "X-Replymilter-Test",
    "sender=carol@example.net rule=tag", "second message")

mt.disconnect(conn)
t.done()
