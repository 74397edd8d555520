-- traffic.lua - known traffic for tests/metrics.sh: two messages, each
-- with a dry-run sender (rule watch: logged, not refused), three refused
-- recipients (rule spf-fail, 550 5.7.23) and one accepted.

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
for m = 1, 2 do
	t.step(conn, SMFIR_CONTINUE, "message " .. m .. ": mail (dry run)",
	    mt.mailfrom, "<watch@example.net>")
	for r = 1, 3 do
		t.step(conn, SMFIR_REPLYCODE, "message " .. m .. ": rcpt " .. r ..
		    " refused", mt.rcptto, "<spf-fail@example.org>")
	end
	t.step(conn, SMFIR_CONTINUE, "message " .. m .. ": rcpt accepted",
	    mt.rcptto, "<ok@example.org>")
	t.step(conn, SMFIR_CONTINUE, "message " .. m .. ": eom", mt.eom)
end
mt.disconnect(conn)

t.done()
