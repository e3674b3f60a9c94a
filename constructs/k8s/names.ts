/** Shapes Kubernetes accepts, shared by the constructs' prop checks, and how objects are named. */
import { invalidProp } from '../errors';

/** A DNS-1123 label: Service and Namespace names, container names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain: most object names (Secrets, ConfigMaps). */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A resource quantity such as "250m", "1.5" or "512Mi". */
export const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** The instance of an environment that names none: its objects are `mcp-server`, `mcp-postgres`... */
export const DEFAULT_INSTANCE = 'mcp';

/**
 * The longest instance. `<instance>-postgres` is a StatefulSet name, and a StatefulSet name may
 * have at most 52 characters: its pods' `controller-revision-hash` label is the name plus an
 * 11-character suffix, and a label value has at most 63.
 */
export const MAX_INSTANCE_LENGTH = 52 - '-postgres'.length;

/**
 * Checks an instance: a DNS label short enough for every name derived from it
 * (`<instance>-postgres` is the longest that must fit a limit).
 */
export function checkInstance(construct: string, instance: string): void {
  if (!DNS_LABEL.test(instance)) {
    throw invalidProp(
      construct,
      'instance',
      'be a DNS label: lowercase letters, digits and "-", starting with a letter',
      instance,
    );
  }
  if (instance.length > MAX_INSTANCE_LENGTH) {
    throw invalidProp(
      construct,
      'instance',
      `have at most ${MAX_INSTANCE_LENGTH} characters, so that \`<instance>-postgres\` is a valid ` +
        'StatefulSet name (at most 52)',
      instance,
      'choose a shorter instance',
    );
  }
}

/** The parts of an environment that own Kubernetes objects. */
export type Component = 'server' | 'postgres' | 'redis' | 'default-deny' | 'probe' | 'backup';

/**
 * The name of a component's objects: `<instance>-<component>`, so that environments with
 * different instances never share an object, in one namespace or in one cluster.
 */
export function componentName(instance: string, component: Component): string {
  return `${instance}-${component}`;
}

/**
 * Checks the name of a server's objects, given or derived as `<instance>-server`: a derived name
 * that is not valid is reported as the fault of the instance, the prop that was set.
 */
export function checkServerName(
  construct: string,
  name: string,
  given: { readonly name?: string; readonly instance?: string },
): void {
  if (DNS_LABEL.test(name) && name.length <= 63) return;
  if (given.name === undefined && given.instance !== undefined) {
    throw invalidProp(
      construct,
      'instance',
      'make `<instance>-server` a DNS label of at most 63 characters',
      given.instance,
      'or set `name`',
    );
  }
  throw invalidProp(construct, 'name', 'be a DNS label of at most 63 characters', name);
}
