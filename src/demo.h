/* demo — the demo account and the simulator's login for `tgr serve`; see demo.c. */
#ifndef TGR_DEMO_H
#define TGR_DEMO_H

#include <stdint.h>

struct app;
struct config;

/* First start with --demo: create the demo account (its login kept in DATA/demo-login.txt, 0600)
 * and print the login; later starts print it again. */
void demo_setup(struct app *app);
/* Connect the demo account to the simulator (and read its inbox) unless it is connected, and
 * import the demo orders once. Waits on the bridge: the demo thread only.
 * @return the demo account's id, 0 when there is none */
int64_t demo_connect(struct app *app);
/* Whether the simulator plays the repository's demo scenario (scenarios/demo.json), whose
 * customers the demo orders and the example campaign are made for. */
int demo_scenario_is_ours(const struct config *c);

/* The demo's start, on a thread of its own (demo_campaign.c): demo_connect, then the example
 * campaign of scenarios/demo-campaign.json — started once, its orders placed as its clicks and
 * reads come in. demo_stop ends it (after engine_stop, so that a bridge call returns at once)
 * and frees d; NULL is fine. @return NULL when the thread cannot start */
struct demo;
struct demo *demo_start(struct app *app);
void demo_stop(struct demo *d);
/* With the simulator, print how to connect another account. */
void demo_telegram_hint(const struct config *c);
/* The simulator's login code, phone and two-step flag into app (shown by GET /session). */
void demo_read_sim_login(struct app *app);

#endif
