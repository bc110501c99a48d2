/** Reported in /health and in run.json's component versions. */
export const CHAT_APP_VERSION = '0.1.0';
