/** The relay's version, reported in run.json (`versions.pushRelay`) and in its ready line. */
export const RELAY_VERSION = '0.1.0';
