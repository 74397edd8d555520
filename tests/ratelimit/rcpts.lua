-- rcpts.lua - one message with a recipient per letter of want: "c" the
-- milter lets it through (SMFIR_CONTINUE), "r" it refuses it with a reply
-- (SMFIR_REPLYCODE).  For tests/ratelimit-redis.sh, which sets socket,
-- sender, want and label with -D.

local t = dofile(libdir .. "/lib.lua")

local conn = t.open()
t.step(conn, SMFIR_CONTINUE, label .. ": mail", mt.mailfrom,
    "<" .. sender .. ">")
for i = 1, #want do
	local w = want:sub(i, i) == "c" and SMFIR_CONTINUE or SMFIR_REPLYCODE
	t.step(conn, w, label .. ": rcpt " .. i, mt.rcptto,
	    "<r" .. i .. "@example.org>")
end
mt.disconnect(conn)

t.done()
