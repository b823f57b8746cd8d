/* handlers — every route handler of the API, grouped by resource (h_<resource>.c); the route
 * table that binds them to methods and paths is routes.c. */
#ifndef TGR_HANDLERS_H
#define TGR_HANDLERS_H

#include "http/router.h"

struct req;

/* h_auth.c */
enum hres auth_login_h(struct req *r);
/* h_account.c */
enum hres account_get_h(struct req *r);
enum hres account_patch_h(struct req *r);
enum hres account_webhook_secret_h(struct req *r);
/* h_ops.c */
enum hres healthz_h(struct req *r);
enum hres metrics_h(struct req *r);

#endif
