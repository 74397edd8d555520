-- negotiate.lua - replymilter asks only for the protocol steps its rules
-- need.  The runner starts a second replymilter on socket_minimal whose
-- only rule acts at RCPT: HELO, headers, end of headers and body are
-- negotiated away (miltertest then refuses mt.helo() and mt.eoh() with
-- "negotiated SMFIP_NO..."), the RCPT rule still answers, and end of
-- message still comes.  mt.conf (on socket) has rules at every stage.

local t = dofile(libdir .. "/lib.lua")

local conn = t.connect(socket_minimal)
t.option(conn, SMFIP_NOHELO, true, "minimal: HELO not negotiated")
t.option(conn, SMFIP_NOHDRS, true, "minimal: headers not negotiated")
t.option(conn, SMFIP_NOEOH, true, "minimal: end of headers not negotiated")
t.option(conn, SMFIP_NOBODY, true, "minimal: body not negotiated")
t.option(conn, SMFIP_NORCPT, false, "minimal: RCPT negotiated")
t.option(conn, SMFIP_NOUNKNOWN, true, "minimal: unknown commands not negotiated")
t.option(conn, SMFIP_NODATA, true, "minimal: DATA not negotiated")
t.check(not mt.test_action(conn, SMFIF_CHGHDRS),
    "minimal: no header changes asked for")

t.step(conn, SMFIR_CONTINUE, "minimal: connect", mt.conninfo,
    "client.example.net", "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_CONTINUE, "minimal: helo", mt.helo,
    "client.example.net")
t.step(conn, SMFIR_CONTINUE, "minimal: mail", mt.mailfrom,
    "<alice@example.net>")
t.step(conn, SMFIR_REPLYCODE, "minimal: rcpt reject", mt.rcptto,
    "<spf-fail@example.org>")
t.step(conn, SMFIR_CONTINUE, "minimal: rcpt", mt.rcptto, "<bob@example.org>")
t.optional(conn, "NOEOH", SMFIR_CONTINUE, "minimal: eoh", mt.eoh)
t.step(conn, SMFIR_CONTINUE, "minimal: eom", mt.eom)
t.no_header_added(conn, "minimal: eom")
mt.disconnect(conn)

-- The full policy negotiates every step it has rules for.
conn = t.connect(socket)
t.option(conn, SMFIP_NOHELO, false, "full: HELO negotiated")
t.option(conn, SMFIP_NOEOH, false, "full: end of headers negotiated")
mt.disconnect(conn)

t.done()
