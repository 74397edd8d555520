/*
 * transcript - replymilter --test: replay an SMTP transaction written as
 * lines against a policy, and print what each stage would answer
 *
 * The lines (one command each; '#' comments and blank lines skipped):
 *   connect HOST [ADDR]      a new connection (ADDR bare or in brackets)
 *   helo NAME / ehlo NAME
 *   mail <ADDR> [SIZE=n]     MAIL FROM (a new message)
 *   rcpt <ADDR>              RCPT TO
 *   header Name: value
 *   body TEXT                one body line
 *   macro {name} value       a milter macro, from now on
 *   check NAME RESULT        a built-in check's result, e.g. check spf fail
 *   eom                      end of message (end of headers runs first)
 *   rset, quit
 * It drives the same flow as the daemon (flow.h), so its output is what the
 * MTA would send; the built-in checks do not run (no DNS in a replay):
 * "check" lines give their results, which hold for the connection.
 * Output lines are "STAGE: OUTCOME", e.g.
 *   rcpt: reject by rule "spf-fail" (id spf-fail): 550 5.7.23 SPF ...
 * Failure: a line it cannot read is reported with its number and the run
 * stops (exit status EX_DATAERR); otherwise the status is 0.
 */
#ifndef REPLYMILTER_TRANSCRIPT_H
#define REPLYMILTER_TRANSCRIPT_H

#include <stdio.h>

#include "policy.h"

/* transcript_run - replay the lines of in (named name in messages) on
 * policy p, printing to out; the exit status. */
int transcript_run(struct policy *p, FILE *in, const char *name, FILE *out);

#endif
