#!/usr/bin/env node
// The `centrifugo-bench` command: TypeScript sources run directly through tsx (no build step), so a
// scenario file a user edits is loaded the same way as the harness itself.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
