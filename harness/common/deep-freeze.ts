/**
 * Freezes a value all the way down. The run plan is frozen this way before it is handed to the stack,
 * the seed step and the drivers, so a layer that tries to change it gets a TypeError (modules are strict
 * mode) instead of silently running something other than what the plan printed.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
