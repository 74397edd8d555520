-- replies.lua - the reply type at each stage for each kind of decision:
-- SMFIR_REPLYCODE for a reject or tempfail with its text (miltertest shows
-- the text only at end of message, where it is checked exactly),
-- SMFIR_ACCEPT, SMFIR_DISCARD; header, end-of-header, body and
-- end-of-message rules; a three-line reply; a '%' from the client doubled
-- for libmilter.

local t = dofile(libdir .. "/lib.lua")

-- begin - a new connection from a plain client, greeted; the handle.
local function begin(label)
	local conn = t.connect()
	t.step(conn, SMFIR_CONTINUE, label .. ": connect", mt.conninfo,
	    "client.example.net", "192.0.2.10")
	t.optional(conn, "NOHELO", SMFIR_CONTINUE, label .. ": helo", mt.helo,
	    "client.example.net")
	return conn
end

-- message - MAIL and RCPT that no rule refuses.
local function message(conn, label, from)
	t.step(conn, SMFIR_CONTINUE, label .. ": mail", mt.mailfrom,
	    from or "<alice@example.net>")
	t.step(conn, SMFIR_CONTINUE, label .. ": rcpt", mt.rcptto,
	    "<bob@example.org>")
end

local conn = t.connect()
t.step(conn, SMFIR_CONTINUE, "HELO localhost: connect", mt.conninfo,
    "client.example.net", "192.0.2.10")
t.step(conn, SMFIR_REPLYCODE, "HELO localhost: helo", mt.helo, "localhost")
mt.disconnect(conn)

conn = begin("MAIL tempfail")
t.step(conn, SMFIR_REPLYCODE, "MAIL tempfail: mail", mt.mailfrom,
    "<full@example.net>")
-- The client may try again on the same connection.
t.step(conn, SMFIR_CONTINUE, "MAIL tempfail: next mail", mt.mailfrom,
    "<alice@example.net>")
mt.disconnect(conn)

conn = begin("MAIL discard")
t.step(conn, SMFIR_DISCARD, "MAIL discard: mail", mt.mailfrom,
    "<discard@example.net>")
mt.disconnect(conn)

conn = begin("MAIL accept")
t.step(conn, SMFIR_ACCEPT, "MAIL accept: mail", mt.mailfrom,
    "<vip@example.net>")
mt.disconnect(conn)

conn = begin("RCPT")
t.step(conn, SMFIR_CONTINUE, "RCPT: mail", mt.mailfrom, "<alice@example.net>")
t.step(conn, SMFIR_REPLYCODE, "RCPT reject: rcpt", mt.rcptto,
    "<spf-fail@example.org>")
t.step(conn, SMFIR_CONTINUE, "RCPT after a refused one: rcpt", mt.rcptto,
    "<bob@example.org>")
t.step(conn, SMFIR_ACCEPT, "RCPT accept: rcpt", mt.rcptto,
    "<postmaster@example.org>")
mt.disconnect(conn)

conn = begin("header")
message(conn, "header")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "header: From", mt.header,
    "From", "alice@example.net")
t.optional(conn, "NOHDRS", SMFIR_REPLYCODE, "header reject: Subject",
    mt.header, "Subject", "something forbidden")
mt.disconnect(conn)

conn = begin("eoh")
message(conn, "eoh")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "eoh: header", mt.header,
    "X-Eoh-Reject", "yes")
t.optional(conn, "NOEOH", SMFIR_REPLYCODE, "eoh reject: eoh", mt.eoh)
mt.disconnect(conn)

conn = begin("body")
message(conn, "body")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "body: header", mt.header,
    "Subject", "hello")
t.optional(conn, "NOEOH", SMFIR_CONTINUE, "body: eoh", mt.eoh)
t.optional(conn, "NOBODY", SMFIR_CONTINUE, "body: chunk", mt.bodystring,
    "first line\r\nBODY-REJECT\r\n")
t.step(conn, SMFIR_REPLYCODE, "body reject: eom", mt.eom)
t.eom_reply(conn, "554 5.6.1 Body refused", "body reject")
t.no_header_added(conn, "body reject")
mt.disconnect(conn)

-- End of message: one connection, one message per case.
conn = begin("eom")
local cases = {
	{ "reject", SMFIR_REPLYCODE, "550", "5.7.1",
	    "Message refused by content policy" },
	{ "tempfail", SMFIR_REPLYCODE, "451", "4.7.1",
	    "Please try again later" },
	{ "accept", SMFIR_ACCEPT },
	{ "discard", SMFIR_DISCARD },
}
for _, c in ipairs(cases) do
	local label = "eom " .. c[1]
	message(conn, label)
	t.optional(conn, "NOHDRS", SMFIR_CONTINUE, label .. ": header",
	    mt.header, "X-Eom", c[1])
	t.step(conn, c[2], label .. ": eom", mt.eom)
	if c[3] ~= nil then
		t.check(mt.eom_check(conn, MT_SMTPREPLY, c[3], c[4], c[5]),
		    label .. ": reply text \"" .. c[3] .. " " .. c[4] .. " " ..
		    c[5] .. "\"")
	else
		t.check(not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
		    "Message refused by content policy"),
		    label .. ": no reply text")
	end
	t.no_header_added(conn, label)
end

-- Three lines: libmilter joins them with CRLF, the codes on each.
message(conn, "eom three lines")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "eom three lines: header",
    mt.header, "X-Eom", "multi")
t.step(conn, SMFIR_REPLYCODE, "eom three lines: eom", mt.eom)
t.eom_reply(conn, "550-5.7.1 First line,\r\n550-5.7.1 second line,\r\n" ..
    "550 5.7.1 third line.", "eom three lines")

-- A '%' from the client reaches libmilter doubled: the MTA shows one.
message(conn, "eom '%' sender", "<100%sure@example.net>")
t.optional(conn, "NOHDRS", SMFIR_CONTINUE, "eom '%' sender: header",
    mt.header, "X-Eom", "percent")
t.step(conn, SMFIR_REPLYCODE, "eom '%' sender: eom", mt.eom)
t.eom_reply(conn, "550 5.7.1 Sender 100%%sure@example.net refused",
    "eom '%' sender")
mt.disconnect(conn)

t.done()
