/** Where the gate's renderings list a metric: its section, and its place in the section. */
import { isMetricName, METRICS } from '../../common/metrics-catalogue.ts';

/** Section a metric is listed under: the push pipeline or delivery through Centrifugo. */
export function metricGroup(name: string): 'DELIVERY' | 'PUSH' | 'OTHER' {
  if (!isMetricName(name)) return 'OTHER';
  return name.startsWith('push') ? 'PUSH' : 'DELIVERY';
}

/** Catalogue order first (the order a reader expects), then anything else alphabetically. */
export function metricOrder(names: string[]): string[] {
  const catalogue = Object.keys(METRICS);
  const rank = (name: string) => {
    const index = catalogue.indexOf(name);
    return index === -1 ? catalogue.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
