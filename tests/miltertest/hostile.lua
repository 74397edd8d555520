-- hostile.lua - raw hostile bytes at the protocol level, where no MTA
-- filters them: CR, LF, CRLF, NUL, '%' and "%s"/"%n", 8-bit bytes and
-- 1,000-byte values (miltertest's limit, see below) in the HELO name,
-- client name, sender, recipient and header values.  The rules eom-echo-helo and eom-echo-rcpt echo the values into
-- the end-of-message reply (miltertest shows reply text there only), which
-- must come out as the manual says: control and non-ASCII bytes as '?',
-- '%' doubled for libmilter, a value cut at 100 bytes with "...".  A NUL
-- ends a C string: libmilter hands over what is before it.  The tag rule's
-- header (sender=%{sender}) must be as clean when a message goes through.

local t = dofile(libdir .. "/lib.lua")

-- rep - s n times.
local function rep(s, n)
	return string.rep(s, n)
end

local cut98 = rep("a", 98)
-- miltertest 1.6.0 copies a HELO name, client name, address or header
-- into a fixed buffer and aborts ("buffer overflow detected", "stack
-- smashing detected") somewhere between 1,000 and 2,000 bytes: 1,000 is
-- what it can send.  The 10 kB values go through the MTAs in
-- tests/e2e/hostile.sh.
local big = rep("a", 1000)
local why = " (100%% sure, %%s %%n)"

-- echo - one connection: client name, HELO, sender, recipient, headers,
-- then the reply at end of message; want is its text.
local function echo(label, client, helo, from, to, marker, headers, want)
	local conn = t.connect()
	t.step(conn, SMFIR_CONTINUE, label .. ": connect", mt.conninfo,
	    client, "192.0.2.10")
	t.optional(conn, "NOHELO", SMFIR_CONTINUE, label .. ": helo", mt.helo,
	    helo)
	t.step(conn, SMFIR_CONTINUE, label .. ": mail", mt.mailfrom, from)
	t.step(conn, SMFIR_CONTINUE, label .. ": rcpt", mt.rcptto, to)
	for _, h in ipairs(headers) do
		t.optional(conn, "NOHDRS", SMFIR_CONTINUE, label .. ": header " ..
		    h[1], mt.header, h[1], h[2])
	end
	t.optional(conn, "NOHDRS", SMFIR_CONTINUE, label .. ": header X-Eom",
	    mt.header, "X-Eom", marker)
	t.optional(conn, "NOEOH", SMFIR_CONTINUE, label .. ": eoh", mt.eoh)
	t.step(conn, SMFIR_REPLYCODE, label .. ": eom", mt.eom)
	t.eom_reply(conn, want, label)
	t.no_header_added(conn, label)
	mt.disconnect(conn)
end

local none = {}

echo("HELO with CR, LF, CRLF", "client.example.net",
    "h-a\rb\nc\r\nd.example", "<alice@example.net>", "<bob@example.org>",
    "echo-helo", none,
    "550 5.7.1 HELO h-a?b?c??d.example of alice@example.net" .. why)
echo("HELO with a NUL", "client.example.net", "h-a\0b.example",
    "<alice@example.net>", "<bob@example.org>", "echo-helo", none,
    "550 5.7.1 HELO h-a of alice@example.net" .. why)
echo("HELO with '%', '%s', '%n'", "client.example.net",
    "h-100%%s%n%.example", "<a%s%n%%@example.net>", "<bob@example.org>",
    "echo-helo", none,
    "550 5.7.1 HELO h-100%%%%s%%n%%.example of a%%s%%n%%%%@example.net" ..
    why)
echo("HELO and sender with UTF-8 and \\xff", "client.example.net",
    "h-\195\169t\255.example", "<s-\195\169\255\127\1@example.net>",
    "<bob@example.org>", "echo-helo", none,
    "550 5.7.1 HELO h-??t?.example of s-?????@example.net" .. why)
echo("HELO and sender of 1,000 bytes", "client.example.net", big, "<" .. big ..
    "@example.net>", "<bob@example.org>", "echo-helo", none,
    "550 5.7.1 HELO " .. rep("a", 100) .. "... of " .. rep("a", 100) ..
    "..." .. why)
echo("HELO of 100 '%': every one doubled", "client.example.net",
    rep("%", 150), "<alice@example.net>", "<bob@example.org>", "echo-helo",
    none, "550 5.7.1 HELO " .. rep("%%", 100) .. "... of alice@example.net" ..
    why)
-- The client name also tries to forge a log line: miltertest.sh checks
-- that the log has no line "replymilter: warning: ...".
echo("recipient and client name with CR, LF, 8-bit",
    "c-\r\nreplymilter: warning: forged\255.example",
    "client.example.net", "<alice@example.net>",
    "<r-a\r\nb\255%n@example.org>", "echo-rcpt", none,
    "550 5.7.1 Recipient r-a??b?%%n@example.org via " ..
    "c-??replymilter: warning: forged?.example")
echo("recipient and client name of 1,000 bytes", big, "client.example.net",
    "<alice@example.net>", "<" .. big .. "@example.org>", "echo-rcpt",
    none, "550 5.7.1 Recipient " .. rep("a", 100) .. "... via " ..
    rep("a", 100) .. "...")
echo("headers with NUL, CR, LF, 8-bit and 10 kB", "client.example.net",
    "client.example.net", "<alice@example.net>", "<bob@example.org>",
    "echo-helo", {
	{ "Subject", "a\r\nInjected: yes" },
	{ "X-Nul", "a\0b" },
	{ "X-Bits", "\195\169\255%n" },
	{ "X-Long", big },
	{ "X-Folded", "a\r\n b\r\n\tc" },
    }, "550 5.7.1 HELO client.example.net of alice@example.net" .. why)

-- A message that goes through: the tag rule's header has the sanitised
-- sender, '%' as itself (a header needs no libmilter escape).
local conn = t.connect()
t.step(conn, SMFIR_CONTINUE, "tag header: connect", mt.conninfo,
    "client.example.net", "192.0.2.10")
t.optional(conn, "NOHELO", SMFIR_CONTINUE, "tag header: helo", mt.helo,
    "client.example.net")
t.step(conn, SMFIR_CONTINUE, "tag header: mail", mt.mailfrom,
    "<t-a\r\nX-Injected: yes\255%n@example.net>")
t.step(conn, SMFIR_CONTINUE, "tag header: rcpt", mt.rcptto,
    "<bob@example.org>")
t.optional(conn, "NOEOH", SMFIR_CONTINUE, "tag header: eoh", mt.eoh)
t.step(conn, SMFIR_CONTINUE, "tag header: eom", mt.eom)
t.header_added(conn, "X-Replymilter-Test",
    "sender=t-a??X-Injected: yes?%n@example.net rule=tag", "tag header")
mt.disconnect(conn)

t.done()
