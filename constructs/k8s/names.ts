/** Shapes Kubernetes accepts, shared by the constructs' prop checks. */

/** A DNS-1123 label: Service and Namespace names, container names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain: most object names (Secrets, ConfigMaps). */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A resource quantity such as "250m", "1.5" or "512Mi". */
export const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
