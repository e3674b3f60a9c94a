/**
 * The names of the Secrets synthesized objects read, by any route: an env `secretKeyRef`, a
 * `secret` volume or a `projected` volume's Secret source.
 */
export function referencedSecretNames(objects: readonly unknown[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const keyRef = record.secretKeyRef as { name?: string } | undefined;
    if (keyRef?.name) names.add(keyRef.name);
    const volume = record.secret as { secretName?: string; name?: string } | undefined;
    if (volume?.secretName) names.add(volume.secretName);
    // A projected volume's source names its Secret with `name`.
    if (volume?.name) names.add(volume.name);
    Object.values(record).forEach(visit);
  };
  visit(objects);
  return names;
}
