import pino, { type Logger } from 'pino';
import type { ServerConfig } from './config';

/**
 * JSON logs on stdout. Nothing the server logs carries a secret; the redaction list is a second
 * line of defence for code added later (a logged request, header set or config object).
 */
export function createLogger(level: ServerConfig['logLevel'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        '*.headers.authorization',
        '*.headers.cookie',
        'token',
        '*.token',
        'password',
        '*.password',
        'databaseUrl',
        '*.databaseUrl',
        'redisUrl',
        '*.redisUrl',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
