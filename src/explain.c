/*
 * explain - the registry as an administrator reads it: --codes and --explain
 */
#include "config.h"

#include "explain.h"

#include <string.h>

/* json_string - write s to out as a JSON string literal. */
static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int
explain_codes(FILE *out, bool json)
{
	size_t n = registry_enhanced_count();
	char basics[80];

	if (json)
		fputs("[\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct registry_enhanced *e = registry_enhanced_at(i);
		char code[16];
		unsigned classes = e->stated_classes;

		snprintf(code, sizeof(code), "X.%u.%u", e->subject, e->detail);
		registry_format_basics(e, basics, sizeof(basics));
		if (!json) {
			fprintf(out, "%s\t%s\t%s\t%s\n", code, basics,
			    e->summary, e->reference);
			continue;
		}
		fputs("  {\"code\": ", out);
		json_string(out, code);
		fputs(", \"basic_codes\": [", out);
		/* The same tokens as the TSV column, as strings. */
		if (e->basic_kind != REGISTRY_BASIC_NONE) {
			char *save = NULL;
			int first = 1;

			for (char *tok = strtok_r(basics, ",", &save);
			    tok != NULL; tok = strtok_r(NULL, ",", &save)) {
				fputs(first ? "" : ", ", out);
				json_string(out, tok);
				first = 0;
			}
		}
		fputs("], \"summary\": ", out);
		json_string(out, e->summary);
		fputs(", \"classes\": [", out);
		for (unsigned cls = 2, first = 1; cls <= 5; cls++)
			if (classes & (1u << cls)) {
				fprintf(out, "%s%u", first ? "" : ", ", cls);
				first = 0;
			}
		fputs("], \"reference\": ", out);
		json_string(out, e->reference);
		fprintf(out, "}%s\n", i + 1 < n ? "," : "");
	}
	if (json)
		fputs("]\n", out);
	return 0;
}

int
explain_stage_parse(const char *text, enum registry_stage *out)
{
	static const struct {
		const char *name;
		enum registry_stage stage;
	} stages[] = {
		{ "any", REGISTRY_STAGE_ANY },
		{ "connect", REGISTRY_STAGE_CONNECT },
		{ "helo", REGISTRY_STAGE_HELO },
		{ "mail", REGISTRY_STAGE_MAIL },
		{ "rcpt", REGISTRY_STAGE_RCPT },
		{ "data", REGISTRY_STAGE_DATA },
		{ "header", REGISTRY_STAGE_DATA },
		{ "eoh", REGISTRY_STAGE_DATA },
		{ "body", REGISTRY_STAGE_DATA },
		{ "eom", REGISTRY_STAGE_DATA },
	};

	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(text, stages[i].name) == 0) {
			*out = stages[i].stage;
			return 0;
		}
	return -1;
}

/* print_basic - the lines that describe a basic code. */
static void
print_basic(FILE *out, unsigned basic)
{
	const struct registry_basic *b = registry_basic_lookup(basic);

	if (b != NULL)
		fprintf(out, "  %-9u %s [%s]\n", basic, b->meaning, b->reference);
	else
		fprintf(out, "  %-9u (not a defined reply code)\n", basic);
}

/* print_xcode - the lines that describe an enhanced code. */
static void
print_xcode(FILE *out, const struct registry_xcode *x)
{
	const struct registry_enhanced *e =
	    registry_enhanced_lookup(x->subject, x->detail);
	const char *subject = registry_subject_name(x->subject);
	char text[16], basics[80];

	registry_format_xcode(x, text, sizeof(text));
	if (e != NULL) {
		fprintf(out, "  %-9s %s [%s]\n", text, e->summary, e->reference);
		fprintf(out, "  %-9s registry pairs X.%u.%u with %s\n", "",
		    x->subject, x->detail,
		    registry_format_basics(e, basics, sizeof(basics)));
	} else {
		fprintf(out, "  %-9s (not in the registry)\n", text);
	}
	fprintf(out, "  class %u   %s\n", x->cls, registry_class_name(x->cls));
	if (subject != NULL)
		fprintf(out, "  X.%u.YYY   %s\n", x->subject, subject);
}

/* split_words - copy up to two whitespace-separated codes out of words[]
 * into buf, pointing codes[] at them; how many there are, or -1. */
static int
split_words(int nwords, char *const words[], char *buf, size_t size,
    char *codes[2])
{
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < nwords; i++) {
		int len = snprintf(buf + used, size - used, "%s ", words[i]);

		if (len < 0 || (size_t)len >= size - used)
			return -1;
		used += (size_t)len;
	}
	for (char *save = NULL, *tok = strtok_r(buf, " \t", &save);
	    tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (n == 2)
			return -1;
		codes[n++] = tok;
	}
	return n;
}

int
explain_pair(FILE *out, int nwords, char *const words[],
    enum registry_stage stage)
{
	char buf[128], *codes[2] = { NULL, NULL };
	struct registry_xcode x, *xp = NULL;
	struct registry_verdict v;
	int basic = -1, n;

	n = split_words(nwords, words, buf, sizeof(buf), codes);
	if (n < 1) {
		fprintf(out, "give a basic code, an enhanced code, or both: "
		    "550 5.7.23\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		if (strchr(codes[i], '.') != NULL) {
			if (xp != NULL || registry_parse_xcode(codes[i], &x) != 0) {
				fprintf(out, "%s: not an enhanced status code "
				    "(class.subject.detail, class 2, 4 or 5, "
				    "e.g. 5.7.23)\n", codes[i]);
				return 2;
			}
			xp = &x;
		} else if (basic >= 0 ||
		    (basic = registry_parse_basic(codes[i])) < 0) {
			fprintf(out, "%s: not a three-digit reply code\n",
			    codes[i]);
			return 2;
		}
	}
	if (basic < 0) {
		const struct registry_enhanced *e =
		    registry_enhanced_lookup(x.subject, x.detail);
		unsigned pick = e != NULL ?
		    registry_enhanced_basic_for(e, x.cls) : 0;

		basic = pick != 0 ? (int)pick : x.cls == 4 ? 451 :
		    x.cls == 5 ? 550 : 250;
		fprintf(out, "(no basic code given: using %d)\n", basic);
	}
	registry_validate((unsigned)basic, xp, stage, 0, &v);
	if (xp != NULL) {
		char text[16];

		fprintf(out, "%d %s: %s\n", basic,
		    registry_format_xcode(xp, text, sizeof(text)),
		    registry_severity_name(v.severity));
	} else {
		fprintf(out, "%d: %s\n", basic,
		    registry_severity_name(v.severity));
	}
	print_basic(out, (unsigned)basic);
	if (xp != NULL)
		print_xcode(out, xp);
	for (unsigned i = 0; i < v.nfindings; i++)
		fprintf(out, "  %s: %s\n",
		    v.findings[i].severity == REGISTRY_OK ? "note" :
		    registry_severity_name(v.findings[i].severity),
		    v.findings[i].text);
	return (int)v.severity;
}
