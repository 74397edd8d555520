/*
 * milter - the libmilter callbacks: record, evaluate, hand the verdict on
 *
 * milter_desc() is the smfiDesc to register.  Each callback copies what
 * libmilter hands over into the connection's session, asks the flow what to
 * do, and lets action.c answer; there is no policy logic here.
 *
 * The policy a new connection runs on is the one installed with
 * milter_set_policy() at the moment the MTA negotiates; the connection keeps
 * that snapshot (a reference) until it closes, so a reload never changes the
 * rules under a connection in flight.  Negotiation asks the MTA only for the
 * stages and macros that snapshot needs.
 *
 * Failure is closed and has one path: a callback that finds no connection
 * state, or cannot record what the MTA sent (a macro, the client, HELO, an
 * address, a header, the body) answers through flow_failure(): the loaded
 * policy's on_failure (the built-in 451 4.3.0 only when no policy is
 * loaded), logged once with the queue id and stage, and counted; never an
 * accept.  At connect, where libmilter carries no reply, the failure is
 * answered at the next stage, as a connect decision is.
 */
#ifndef REPLYMILTER_MILTER_H
#define REPLYMILTER_MILTER_H

#include <libmilter/mfapi.h>

#include "policy.h"

/* milter_desc - the filter description for smfi_register. */
struct smfiDesc *milter_desc(void);

/* milter_set_policy - install p (the caller's reference passes to the
 * milter) for new connections; the previous policy's reference is dropped.
 * Thread-safe. */
void milter_set_policy(struct policy *p);

/* milter_policy - a new reference to the installed policy, or NULL. */
struct policy *milter_policy(void);

/* milter_active - how many connections are open now. */
unsigned milter_active(void);

/* milter_connections - how many connections the milter took since start
 * (those it could keep state for). */
unsigned long milter_connections(void);

/* milter_transactions - how many MAIL FROMs since start. */
unsigned long milter_transactions(void);

/* milter_shutdown - drop the installed policy (at exit). */
void milter_shutdown(void);

#endif
