/** Labels every mcpenv object carries (Kubernetes recommended labels). */
export function commonLabels(component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/part-of': 'mcpenv',
    'app.kubernetes.io/managed-by': 'mcpenv',
  };
}

/** The subset of labels that selects a component's pods; it must never change after creation. */
export function selectorLabels(component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': instance,
  };
}
