/* routes — the API's route table (STYLE §3): method, pattern, handler, auth, body cap,
 * rate-limit class. Adding an endpoint is one line here plus its handler. */
#include "core/app.h"
#include "http/handlers.h"

const struct route api_routes[] = {
    {"GET", "/healthz", healthz_h, AUTH_NONE, 0, NULL},
    {"GET", "/metrics", metrics_h, AUTH_NONE, 0, NULL},
    {"POST", "/auth/login", auth_login_h, AUTH_NONE, 16 * 1024, NULL},
    {"GET", "/account", account_get_h, AUTH_ACCOUNT, 0, NULL},
    {"PATCH", "/account", account_patch_h, AUTH_ACCOUNT, 16 * 1024, NULL},
    {"POST", "/account/webhook-secret", account_webhook_secret_h, AUTH_ACCOUNT, 1024, NULL},
    {"POST", "/session/connect", session_connect_h, AUTH_ACCOUNT, 4096, "session"},
    {"POST", "/session/verify", session_verify_h, AUTH_ACCOUNT, 4096, "session"},
    {"GET", "/session", session_get_h, AUTH_ACCOUNT, 0, NULL},
    {"DELETE", "/session", session_delete_h, AUTH_ACCOUNT, 0, NULL},
    {"POST", "/session/sync", session_sync_h, AUTH_ACCOUNT, 1024, NULL},
    {"GET", "/contacts", contacts_list_h, AUTH_ACCOUNT, 0, NULL},
    {"GET", "/contacts/:id", contacts_get_h, AUTH_ACCOUNT, 0, NULL},
    {"POST", "/campaigns", campaigns_create_h, AUTH_ACCOUNT, 4 * 1024 * 1024, NULL},
    {"GET", "/campaigns", campaigns_list_h, AUTH_ACCOUNT, 0, NULL},
    {"GET", "/campaigns/:id", campaigns_get_h, AUTH_ACCOUNT, 0, NULL},
    {"PATCH", "/campaigns/:id", campaigns_patch_h, AUTH_ACCOUNT, 4 * 1024 * 1024, NULL},
    {"DELETE", "/campaigns/:id", campaigns_delete_h, AUTH_ACCOUNT, 0, NULL},
    {"GET", "/campaigns/:id/audience", campaigns_audience_h, AUTH_ACCOUNT, 0, NULL},
    {"POST", "/campaigns/:id/preview", campaigns_preview_h, AUTH_ACCOUNT, 4096, NULL},
    {"POST", "/webhooks/orders", orders_webhook_h, AUTH_NONE, 64 * 1024, NULL},
    {"POST", "/orders/import", orders_import_h, AUTH_ACCOUNT, 32 * 1024 * 1024, NULL},
    {"POST", "/media/upload", media_upload_h, AUTH_ACCOUNT, 51 * 1024 * 1024, NULL},
    {"GET", "/media/:id", media_get_h, AUTH_ACCOUNT, 0, NULL},
    {"GET", "/analytics/categories", analytics_categories_h, AUTH_ACCOUNT, 0, NULL},
    {NULL, NULL, NULL, AUTH_NONE, 0, NULL},
};
