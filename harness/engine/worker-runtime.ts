/**
 * The worker side of the IPC channel: typed send/receive, and exit when the parent goes away (a killed
 * engine must never leave sockets open behind it).
 */
export function sendToParent<T extends { type: string }>(message: T): void {
  if (process.send && process.connected) process.send(message);
}

export function onParentMessage<T extends { type: string }>(handler: (message: T) => void | Promise<void>): void {
  process.on('message', (message) => {
    Promise.resolve(handler(message as T)).catch((error: unknown) => {
      sendToParent({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Reports an uncaught error to the parent, then exits. */
export function installFatalHandlers(): void {
  const fatal = (error: unknown) => {
    sendToParent({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 100).unref();
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
