/**
 * Deletes the oldest entries of an insertion-ordered map until it has room for one more entry
 * under `max`: a bounded cache that forgets the oldest first, without clearing everything.
 */
export function makeRoom<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size < max) return;
    map.delete(key);
  }
}
