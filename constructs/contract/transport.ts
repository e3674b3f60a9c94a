/**
 * What the edge in front of the server (ingress-nginx, an ALB, a Gateway) and the server agree on
 * about the MCP endpoint's HTTP transport. The routing constructs size their timeouts from it.
 */

/**
 * How often the server writes a keep-alive comment on an otherwise idle SSE stream (the
 * `subscriptions/listen` streams of MCP 2026-07-28), in seconds. Every idle or read timeout
 * between client and server must be comfortably longer, or quiet streams are cut.
 */
export const SSE_KEEPALIVE_INTERVAL_SECONDS = 15;
