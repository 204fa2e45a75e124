import { z } from 'zod';
import { compilePathGlob, GlobError } from './glob';

/**
 * The `containment:` section of a pack (issue 10): the boundary the same pack draws around
 * everything that runs, compiled by core/containment into an OS sandbox profile. This is
 * the format's one definition; the published JSON Schema is generated from it with the rest
 * of the pack.
 */

const WILD = /[*?[\]{}\\]/;
const MAX_ENTRIES = 500;

/** `~/x`, `/x` (literal) or a workspace glob; never `..` segments or empty. */
function isAnchored(entry: string): boolean {
  return entry.startsWith('/') || entry === '~' || entry.startsWith('~/');
}

function hasDotDot(entry: string): boolean {
  return entry.split('/').some((segment) => segment === '..');
}

const readEntry = z
  .string()
  .min(1)
  .max(512)
  .superRefine((entry, ctx) => {
    if (hasDotDot(entry)) ctx.addIssue({ code: 'custom', message: 'must not contain ".." segments' });
    else if (isAnchored(entry) && WILD.test(entry)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'a path starting with "/" or "~/" is literal (a file, or a directory ending in "/"); globs apply in the workspace only',
      });
    } else if (entry === '/' || entry === '~' || entry === '~/') {
      ctx.addIssue({ code: 'custom', message: 'would hide the whole file system or home directory' });
    } else if (!isAnchored(entry)) {
      try {
        compilePathGlob(entry, '/');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof GlobError ? error.message : String(error) });
      }
    }
  });

const writeEntry = z
  .string()
  .min(1)
  .max(512)
  .superRefine((entry, ctx) => {
    if (hasDotDot(entry)) ctx.addIssue({ code: 'custom', message: 'must not contain ".." segments' });
    else if (WILD.test(entry)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a literal path (a file, or a directory ending in "/"): it is protected even before it exists',
      });
    } else if (entry === '/' || entry === './' || entry === '.' || entry === '~' || entry === '~/') {
      ctx.addIssue({ code: 'custom', message: 'would make the whole workspace or home read-only' });
    }
  });

const hostEntry = z
  .string()
  .min(1)
  .max(260)
  .regex(
    /^(?:\*\.)?[A-Za-z0-9*](?:[A-Za-z0-9*.-]{0,251})?(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/,
    'must be a host name (globs such as *.npmjs.org allowed) or an IP address, optionally with :port',
  )
  .refine((entry) => {
    const port = /:([0-9]{1,5})$/.exec(entry)?.[1];
    return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  }, 'has a port outside 1–65535')
  .refine((entry) => entry.replace(/:[0-9]+$/, '').replace(/[*.]/g, '') !== '', 'must name a host, not only "*"');

const nameGlob = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_*?]+$/, 'must be an environment variable name; * and ? are globs');

export const containmentSectionSchema = z
  .strictObject({
    deny_read: z
      .array(readEntry)
      .max(MAX_ENTRIES)
      .optional()
      .describe(
        'Unreadable inside the sandbox. "~/…" and "/…" are literal paths (a directory ends in "/"); anything else is a glob resolved in the workspace.',
      ),
    except_read: z
      .array(readEntry)
      .max(MAX_ENTRIES)
      .optional()
      .describe('Workspace globs that stay readable although a deny_read glob matches them (.env.example).'),
    deny_write: z
      .array(writeEntry)
      .max(MAX_ENTRIES)
      .optional()
      .describe(
        'Read-only inside the sandbox even where it is writable (the workspace): literal workspace-relative, "~/…" or "/…" paths; a directory ends in "/". A missing path cannot be created.',
      ),
    network: z
      .strictObject({
        hosts: z
          .array(hostEntry)
          .max(MAX_ENTRIES)
          .optional()
          .describe(
            'Hosts reachable through the filtering proxy (HTTP CONNECT and plain HTTP): globs, optional :port.',
          ),
        repository_remotes: z
          .boolean()
          .optional()
          .describe(
            "The workspace repository's own remotes: their http(s) hosts, and local remote repositories writable.",
          ),
      })
      .optional()
      .describe('Without any host granted by an assigned pack, the sandbox has no network at all.'),
    environment: z
      .strictObject({
        remove: z
          .array(nameGlob)
          .max(MAX_ENTRIES)
          .optional()
          .describe('Variables removed from the environment (name globs, case-insensitive).'),
        keep: z
          .array(nameGlob)
          .max(MAX_ENTRIES)
          .optional()
          .describe('Variables kept although a remove glob matches them.'),
      })
      .optional(),
  })
  .describe(
    'The OS sandbox this pack draws around every command `cavra exec` runs and every MCP server `cavra mcp-proxy` starts (one pack, two layers).',
  );
export type ContainmentSection = z.output<typeof containmentSectionSchema>;
