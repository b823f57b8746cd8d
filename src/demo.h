/* demo — the demo account and the simulator's login for `tgr serve`; see demo.c. */
#ifndef TGR_DEMO_H
#define TGR_DEMO_H

struct app;
struct config;

/* First start with --demo: create the demo account (its login kept in DATA/demo-login.txt, 0600)
 * and print the login; later starts print it again. */
void demo_setup(struct app *app);
/* On the tg worker pool (arg: the app): connect the demo account to the simulator and import the
 * demo orders once. */
void demo_connect_job(void *arg);
/* With the simulator, print how to connect another account. */
void demo_telegram_hint(const struct config *c);
/* The simulator's login code, phone and two-step flag into app (shown by GET /session). */
void demo_read_sim_login(struct app *app);

#endif
