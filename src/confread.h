/*
 * confread - the config file as one buffer, with its true line numbers
 *
 * libconfuse miscounts lines after comments (every '#' or '//' comment line
 * adds two, every block comment one; measured on Debian's 3.3) and its own
 * include() reads files behind our back.  So we read the file ourselves:
 * comments outside quotes are blanked (newlines kept), and each line
 * `include "path"` (or `include("path")`) is replaced by the included
 * file's lines, read the same way; a relative path is taken from the
 * including file's folder.  confread_where() maps a line of the buffer back
 * to (file, line).
 *
 * Ownership: confread_open() returns an object owning the buffer and the
 * map; confread_free() releases it.  Failure: NULL, with a sentence naming
 * the file (and the including line) in err: unreadable file, include
 * loop, includes nested deeper than CONFREAD_MAX_DEPTH, a NUL byte.
 */
#ifndef REPLYMILTER_CONFREAD_H
#define REPLYMILTER_CONFREAD_H

#include <stdbool.h>
#include <stddef.h>

#define CONFREAD_MAX_DEPTH 8

struct confread;

/* Where reading failed: the file and line at fault (line 0 when it is
 * the file as a whole), and what went wrong. */
struct confread_error {
	char file[4096];
	unsigned line;
	char message[512];
};

/* confread_open - path read, blanked and expanded, or NULL with *err
 * filled. */
struct confread *confread_open(const char *path, struct confread_error *err);

/* confread_unclosed - the buffer line of a quoted string (*in_string) or a
 * section opened and never closed before the end of the file (libconfuse
 * would take the end for the '}'), or 0. */
unsigned confread_unclosed(const struct confread *c, bool *in_string);

/* confread_section_depth - how deep the buffer's sections nest: the most
 * '{' open at once that do not follow '=' (those open lists), outside
 * quotes; 0 for a file of options only. */
unsigned confread_section_depth(const struct confread *c);

/* confread_free - release; NULL is harmless. */
void confread_free(struct confread *c);

/* confread_buffer - the text to hand to cfg_parse_buf. */
const char *confread_buffer(const struct confread *c);

/* confread_path - the top file's path. */
const char *confread_path(const struct confread *c);

/* confread_where - the file and line of buffer line bufline (1-based). */
void confread_where(const struct confread *c, unsigned bufline,
    const char **file, unsigned *line);

/* confread_section_line - the buffer line where `kind "title"` opens, or
 * 0; fastest when sections are asked for in file order (it remembers where
 * the last one was). */
unsigned confread_section_line(struct confread *c, const char *kind,
    const char *title);

/* confread_files - how many files were read, and the i-th one's path. */
size_t confread_nfiles(const struct confread *c);
const char *confread_file(const struct confread *c, size_t i);

#endif
