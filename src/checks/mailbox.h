/*
 * mailbox - the domains of the mailboxes a From: header value names
 *
 * mailbox_domains() reads an RFC 5322 address list as From: carries it:
 * mailboxes separated by ",", each a bare addr-spec or a display name
 * (atoms, quoted strings) and "<addr-spec>", with comments (nested) and
 * quoted strings anywhere, groups ("name: a@x, b@y;", whose members
 * count), and the obsolete route ("<@relay:user@example.com>", route
 * dropped).  Of each mailbox it keeps the domain, in ASCII lower case
 * (UTF-8 bytes kept as they are, RFC 6532); a domain-literal
 * ("[192.0.2.1]") is kept with its brackets.
 *
 * It refuses, rather than guesses at: an unclosed comment, quoted string
 * or "<", a "<" inside "<...>", a ">" without "<", text after "<addr>", a
 * local part without one "@" or with none before it, a domain with a
 * quoted string, empty labels or bytes that are not atext, an unclosed
 * group or nested groups, a ";" outside a group, more than max mailboxes,
 * and a value that names none (empty, blank, or only an empty group).
 * Empty list members (",,") are skipped, as RFC 5322's obs-mbox-list
 * allows.
 *
 * Pure: no allocation, no state; the caller owns the storage.
 */
#ifndef REPLYMILTER_CHECKS_MAILBOX_H
#define REPLYMILTER_CHECKS_MAILBOX_H

#define MAILBOX_DOMAIN_SIZE 256		/* 253 and a NUL, with room */

/* mailbox_domains - how many mailboxes value names (1 to max), the domain
 * of each in doms[0..n); -1 when value cannot be read, names none or more
 * than max (doms then holds nothing the caller may use). */
int mailbox_domains(const char *value, char doms[][MAILBOX_DOMAIN_SIZE],
    unsigned max);

#endif
