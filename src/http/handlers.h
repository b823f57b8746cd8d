/* handlers — every route handler of the API, grouped by resource (h_<resource>.c); the route
 * table that binds them to methods and paths is routes.c. */
#ifndef TGR_HANDLERS_H
#define TGR_HANDLERS_H

#include <jansson.h>
#include <stdint.h>

#include "core/audit.h"
#include "http/router.h"

struct req;

/* h_auth.c */
enum hres auth_login_h(struct req *r);
/* h_account.c */
enum hres account_get_h(struct req *r);
enum hres account_patch_h(struct req *r);
enum hres account_webhook_secret_h(struct req *r);
/* h_session.c */
enum hres session_connect_h(struct req *r);
enum hres session_verify_h(struct req *r);
enum hres session_get_h(struct req *r);
enum hres session_delete_h(struct req *r);
enum hres session_sync_h(struct req *r);
/* h_contacts.c */
enum hres contacts_list_h(struct req *r);
enum hres contacts_get_h(struct req *r);
/* The API's contact object: contact_to_json, core/people.h. */
struct app;
/* h_campaigns.c */
enum hres campaigns_create_h(struct req *r);
enum hres campaigns_list_h(struct req *r);
enum hres campaigns_get_h(struct req *r);
enum hres campaigns_patch_h(struct req *r);
enum hres campaigns_delete_h(struct req *r);
enum hres campaigns_audience_h(struct req *r);
enum hres campaigns_preview_h(struct req *r);
/* h_orders.c */
enum hres orders_webhook_h(struct req *r);
enum hres orders_import_h(struct req *r);
/* the shop's side (issue 17) — h_security.c: the owner's credentials */
enum hres account_password_h(struct req *r);
enum hres account_api_key_h(struct req *r);
enum hres auth_logout_all_h(struct req *r);
/* h_shop.c: the orders list, the webhook's signed example, an import's progress */
enum hres orders_list_h(struct req *r);
enum hres orders_webhook_example_h(struct req *r);
enum hres orders_import_progress_h(struct req *r);
#define IMPORT_ID_MAX 64 /* ?progress= of POST /orders/import */
/* h_media.c */
enum hres media_upload_h(struct req *r);
enum hres media_get_h(struct req *r);
/* h_analytics.c */
enum hres analytics_categories_h(struct req *r);
enum hres analytics_revenue_h(struct req *r);
enum hres analytics_campaigns_h(struct req *r);
struct campaign;
struct campaign_progress;
/* The API's campaign object (codes decrypted). New reference. */
json_t *campaign_to_json(struct app *app, int64_t account_id, const struct campaign *c);
/* The campaign named by the path's :id, of the caller's account; on failure the reply is set.
 * @return TGR_OK (release c with campaign_release) or TGR_ERR */
int campaign_load_req(struct req *r, struct campaign *c);
/* h_sending.c */
enum hres campaigns_start_h(struct req *r);
enum hres campaigns_pause_h(struct req *r);
enum hres campaigns_resume_h(struct req *r);
enum hres campaigns_cancel_h(struct req *r);
enum hres campaigns_nudge_h(struct req *r);
enum hres campaigns_test_h(struct req *r);
enum hres campaigns_logs_h(struct req *r);
enum hres campaigns_analytics_h(struct req *r);
/* Reply 200 with campaign id of the caller's account as stored now (503 when it cannot be read). */
enum hres campaign_reply(struct req *r, int64_t id);
/* The account's money currency: the one most of its orders use, EUR without orders. */
void account_currency(struct req *r, char out[4]);
/* The live counters of a campaign (GET …/analytics), or NULL when the store fails. */
json_t *campaign_metrics_json(struct req *r, const struct campaign *c);
/* A campaign's first message and its follow-ups apart ({"first_message","follow_ups"} of
 * GET …/analytics; core/progress.h), added to o; *p gets what was read.
 * @return TGR_OK, TGR_ERR when the store failed */
int campaign_progress_json(struct req *r, const struct campaign *c, json_t *o, struct campaign_progress *p);
/* h_scorecard.c */
enum hres campaigns_scorecard_h(struct req *r);
/* h_segments.c */
enum hres segments_create_h(struct req *r);
enum hres segments_list_h(struct req *r);
enum hres segments_get_h(struct req *r);
enum hres segments_patch_h(struct req *r);
enum hres segments_delete_h(struct req *r);
/* h_schedule.c */
enum hres campaigns_schedule_h(struct req *r);
enum hres campaigns_unschedule_h(struct req *r);
/* h_track.c */
enum hres track_click_h(struct req *r);
/* h_people.c: results per person, CSV exports, contact timelines, opt-outs (issue 16) */
enum hres campaigns_recipients_h(struct req *r);
enum hres campaigns_recipients_csv_h(struct req *r);
enum hres contacts_csv_h(struct req *r);
enum hres contacts_timeline_h(struct req *r);
enum hres contacts_opt_out_h(struct req *r);
enum hres contacts_opt_in_h(struct req *r);
struct contact_filter;
/* The contact filters of GET /contacts and /contacts.csv from the query (category, q,
 * opted_out); q borrows from the request. On failure the 400 is set. @return TGR_OK or TGR_ERR */
int contacts_filter_query(struct req *r, struct contact_filter *f);
/* The path's contact :id (else the 404 is set). @return TGR_OK or TGR_ERR */
int contact_id_param(struct req *r, int64_t *id);
/* Reply 200 with the contact as stored now (404, 503 when it cannot be read). */
enum hres contact_reply(struct req *r, int64_t id);
/* h_ops.c */
enum hres healthz_h(struct req *r);
enum hres metrics_h(struct req *r);
enum hres openapi_h(struct req *r);

/* h_webhooks.c (issue 19) */
enum hres webhooks_create_h(struct req *r);
enum hres webhooks_list_h(struct req *r);
enum hres webhooks_get_h(struct req *r);
enum hres webhooks_delete_h(struct req *r);
enum hres webhooks_deliveries_h(struct req *r);
/* h_privacy.c: a person's export and erasure, the audit log (issue 19) */
enum hres contacts_export_h(struct req *r);
enum hres contacts_erase_h(struct req *r);
enum hres audit_list_h(struct req *r);
/* Who made the request (core/audit.h): the user (a bearer token, or a login) or an API key, and
 * the client's address (http/clientip.h). */
void audit_who_of(const struct req *r, struct audit_who *out);
/* After a change has committed: leave its entry in the caller's audit log — action a on
 * kind:id (id 0: kind alone), details stolen (NULL: none). A failure is logged, not answered. */
void http_audit(struct req *r, enum audit_action a, const char *kind, int64_t id, json_t *details);
/* Details {"fields": [the names of the request body's members]} (a new reference). */
json_t *audit_body_fields(const struct req *r);

#endif
