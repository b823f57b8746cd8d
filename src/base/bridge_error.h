/* bridge_error — the error of one call to Telegram: what the bridge answered, or what stood in
 * its way (TIMEOUT, NETWORK, …). Layer: base. It lives below tg because a call can be made on
 * another instance and its error carried back by the cluster relay (cluster/cluster.h), which
 * sits below tg; tg/bridge.h makes and reads it. */
#ifndef TGR_BRIDGE_ERROR_H
#define TGR_BRIDGE_ERROR_H

struct bridge_error {
    char code[64];     /* Telegram's name, or TIMEOUT, NETWORK, BAD_REQUEST, … */
    char message[256]; /* for logs; never contains secrets from our side */
    int seconds;       /* FLOOD_WAIT */
};

#endif
