import type { shellKinds } from '../contract';

export type ShellKind = (typeof shellKinds)[number];
