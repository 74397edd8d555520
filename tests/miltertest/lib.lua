-- tests/miltertest/lib.lua - helpers shared by the miltertest scripts.
--
-- The scripts in tests/miltertest/ drive replymilter at the milter protocol
-- level with miltertest (Debian package miltertest; Lua 5.3).  The runner,
-- tests/miltertest.sh, starts replymilter and runs each script as
--   miltertest -D libdir=DIR -D socket=unix:PATH -D socket_minimal=unix:PATH
--       -s SCRIPT
-- and each script begins with
--   local t = dofile(libdir .. "/lib.lua")
--
-- Output is TAP-ish: "ok N - label" or "not ok N - label" with "#" lines
-- saying what was expected and what came.  t.done() prints "N passed,
-- N failed" and raises an error when anything failed, so that miltertest
-- exits nonzero.  A protocol step that raises a Lua error (miltertest does
-- so for a step the milter negotiated away, or on a lost connection) is
-- caught and counted as a failure with the message; the script goes on.
--
-- Provides:
--   t.connect([sock])                  mt.connect + mt.negotiate; the handle
--   t.check(ok, label, diag...)        count a check; returns ok
--   t.reply(conn, want, label)         the last reply is SMFIR_want
--   t.step(conn, want, label, fn, ...) run mt step fn(conn, ...), then
--                                      t.reply; a step not negotiated is a
--                                      failure (see t.optional)
--   t.optional(conn, option, want, label, fn, ...)
--                                      the same, but when the milter
--                                      negotiated SMFIP_option away, check
--                                      that miltertest refuses the step
--                                      ("negotiated SMFIP_...") instead
--   t.eom_reply(conn, text, label)     end of message carried reply text
--                                      (one or more lines as the MTA gets
--                                      them, "550-5.7.1 a\r\n550 5.7.1 b")
--   t.header_added(conn, name, value, label)
--   t.no_header_added(conn, label)
--   t.option(conn, SMFIP_X, want, label)  negotiated protocol option or not
--   t.name(code)                       "SMFIR_REPLYCODE" ... for messages
--   t.done()                           summary; error when anything failed

local t = { passed = 0, failed = 0, n = 0 }

local reply_names = {
	[SMFIR_ACCEPT] = "SMFIR_ACCEPT",
	[SMFIR_CONTINUE] = "SMFIR_CONTINUE",
	[SMFIR_DISCARD] = "SMFIR_DISCARD",
	[SMFIR_REJECT] = "SMFIR_REJECT",
	[SMFIR_TEMPFAIL] = "SMFIR_TEMPFAIL",
	[SMFIR_REPLYCODE] = "SMFIR_REPLYCODE",
	[SMFIR_SKIP] = "SMFIR_SKIP",
}

-- t.name - a reply code's name, or its character.
function t.name(code)
	if code == nil then
		return "nil"
	end
	local name = reply_names[code]
	if name ~= nil then
		return name
	end
	code = math.floor(code)
	if code > 32 and code < 127 then
		return string.format("'%s' (%d)", string.char(code), code)
	end
	return tostring(code)
end

-- t.check - print a TAP line for ok and count it; returns ok.
function t.check(ok, label, ...)
	t.n = t.n + 1
	if ok then
		t.passed = t.passed + 1
		print(string.format("ok %d - %s", t.n, label))
	else
		t.failed = t.failed + 1
		print(string.format("not ok %d - FAIL: %s", t.n, label))
		for _, line in ipairs({ ... }) do
			print("#   " .. tostring(line))
		end
	end
	return ok
end

-- t.connect - a negotiated connection to sock (default: the global
-- socket); raises an error when there is none.
function t.connect(sock)
	sock = sock or socket
	-- miltertest does not print the message of an error that ends the
	-- script: say it here first.
	local ok, conn = pcall(mt.connect, tostring(sock), 50, 0.1)
	if not ok or conn == nil then
		print("Bail out! cannot connect to " .. tostring(sock) .. ": " ..
		    tostring(conn))
		error("cannot connect to " .. tostring(sock))
	end
	local err
	ok, err = pcall(mt.negotiate, conn, nil, nil, nil)
	if not ok or err ~= nil then
		print("Bail out! negotiation with " .. sock .. " failed: " ..
		    tostring(err))
		error("negotiation with " .. sock .. " failed")
	end
	return conn
end

-- t.open - a connection from client.example.net [192.0.2.10] that has
-- said HELO (unless the milter negotiated HELO away): the usual start.
function t.open(sock)
	local conn = t.connect(sock)
	t.step(conn, SMFIR_CONTINUE, "connect", mt.conninfo,
	    "client.example.net", "192.0.2.10")
	t.optional(conn, "NOHELO", SMFIR_CONTINUE, "helo", mt.helo,
	    "client.example.net")
	return conn
end

-- t.reply - check that the last reply on conn is want.
function t.reply(conn, want, label)
	local got = mt.getreply(conn)
	return t.check(got == want, label .. ": " .. t.name(want),
	    "expected " .. t.name(want) .. ", got " .. t.name(got))
end

-- t.step - run fn(conn, ...) (an mt.* step) and check its reply.
function t.step(conn, want, label, fn, ...)
	local ok, err = pcall(fn, conn, ...)
	if not ok or err ~= nil then
		return t.check(false, label .. ": " .. t.name(want),
		    "the step failed: " .. tostring(err))
	end
	return t.reply(conn, want, label)
end

-- t.optional - t.step for a step the milter may have negotiated away with
-- SMFIP option (its name in the message, e.g. "NOHELO"): then miltertest
-- must refuse the step, which is checked instead.
function t.optional(conn, option, want, label, fn, ...)
	local flag = _ENV["SMFIP_" .. option]
	if flag ~= nil and mt.test_option(conn, flag) then
		local ok, err = pcall(fn, conn, ...)
		return t.check(not ok and tostring(err):find("negotiated SMFIP_" ..
		    option, 1, true) ~= nil,
		    label .. ": not negotiated (SMFIP_" .. option .. ")",
		    "expected an error naming SMFIP_" .. option .. ", got " ..
		    tostring(err))
	end
	return t.step(conn, want, label, fn, ...)
end

-- split3 - text as its first word, second word and the rest.
local function split3(text)
	local a, b, c = text:match("^(%S+) (%S+) (.*)$")
	if a == nil then
		return text, "", ""
	end
	return a, b, c
end

-- t.eom_reply - check the reply text the milter set at end of message.
-- miltertest compares "CODE XCODE TEXT" with what libmilter sent; a
-- multi-line reply is "550-5.7.1 a\r\n550 5.7.1 b", split likewise.
function t.eom_reply(conn, text, label)
	local a, b, c = split3(text)
	return t.check(mt.eom_check(conn, MT_SMTPREPLY, a, b, c),
	    label .. ": reply text \"" .. text:gsub("\r\n", "\\r\\n") .. "\"",
	    "no SMFIR_REPLYCODE with exactly that text was captured")
end

-- t.header_added - check that name: value was added at end of message.
function t.header_added(conn, name, value, label)
	local got = mt.getheader(conn, name, 0)
	return t.check(mt.eom_check(conn, MT_HDRADD, name, value),
	    label .. ": header " .. name .. ": " .. value,
	    "got " .. name .. ": " .. tostring(got))
end

-- t.no_header_added - check that no header was added at end of message.
function t.no_header_added(conn, label)
	return t.check(not mt.eom_check(conn, MT_HDRADD),
	    label .. ": no header added")
end

-- t.option - check whether protocol option flag was negotiated.
function t.option(conn, flag, want, label)
	local got = mt.test_option(conn, flag)
	return t.check(got == want, label, "expected " .. tostring(want) ..
	    ", got " .. tostring(got))
end

-- t.done - print the summary; raise an error when a check failed.
function t.done()
	print(string.format("%d passed, %d failed", t.passed, t.failed))
	if t.failed > 0 or t.n == 0 then
		error(string.format("%d of %d checks failed", t.failed, t.n))
	end
end

return t
